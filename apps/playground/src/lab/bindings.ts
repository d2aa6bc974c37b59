import { closeReason, isColinkError } from '@colink/core';
import { type BindingRequest, bindDevice, type TlsSecurity } from '@colink/core/security';
import type { LabDevices } from './devices.js';
import type { LabJournal } from './journal.js';
import type { LabBindPrompt } from './protocol.js';

interface BindPromptState extends LabBindPrompt {
  /** Answers the TLS layer's confirmation callback. */
  readonly answer: (confirm: boolean) => void;
}

/**
 * Trust between the lab's devices (HarmonyOS "bind"): binding two devices that are not on one account, with the
 * 6-digit code both users confirm, unbinding, and the trust events of every device.
 */
export class LabBindings {
  private readonly prompts = new Map<string, BindPromptState>();
  private seq = 0;

  constructor(
    private readonly devices: LabDevices,
    private readonly journal: LabJournal,
  ) {}

  /** Shows `device`'s binding confirmations as prompts and logs its trust decisions. */
  watch(device: string, security: TlsSecurity): void {
    const name = (id: string): string => this.devices.name(id);
    security.onBindRequest = (req) => this.confirm(device, req, false);
    security.trust$.subscribe((e) => {
      if (e.trust === 'untrusted')
        this.journal.log('trust', `${name(device)} refused ${name(e.networkId)}: ${e.reason}`, device);
      else if (e.basis === 'new-binding')
        this.journal.log('trust', `${name(device)} bound ${name(e.networkId)}`, device);
      this.journal.changed();
    });
  }

  /**
   * `from` binds with `to`: both devices show the same 6-digit code derived from the TLS handshake; answer each with
   * {@link answer}. Resolves once both confirmed and both trust stores hold the binding.
   * @throws Error with the reason when either side declines, the connection fails, or they are already connected.
   */
  async bind(from: string, to: string): Promise<void> {
    const d = this.devices.running(from);
    if (!this.devices.has(to)) throw new Error('no such device');
    const peer = this.devices.name(to);
    this.journal.log('trust', `${d.name} asks ${peer} to bind`, from);
    try {
      await bindDevice(d.device, d.security, to, (req) => this.confirm(from, req, true));
      this.journal.log('trust', `${d.name} and ${peer} are bound`, from);
    } catch (e) {
      const text = isColinkError(e) ? `${e.code}: ${e.message}` : String(e);
      this.journal.log('trust', `binding ${d.name} with ${peer} failed: ${text}`, from);
      throw new Error(text);
    } finally {
      // Both attempts are over: the initiator's binding settled, so the responder's prompt is moot too.
      for (const [key, p] of this.prompts) {
        if ((p.device === from && p.peer === to) || (p.device === to && p.peer === from))
          this.prompts.delete(key);
      }
      this.journal.changed();
    }
  }

  /**
   * `device` revokes its binding with `peer` and closes their Links: the next connect between them is refused.
   * @throws Error for an unknown device or when they are not bound.
   */
  async unbind(device: string, peer: string): Promise<void> {
    const d = this.devices.get(device);
    if (!(await d.security.trustStore?.revoke(peer)))
      throw new Error(`${d.name} is not bound with ${this.devices.name(peer)}`);
    for (const link of d.device.links(peer)) link.abort(closeReason('handshake-failed', 'binding revoked'));
    this.journal.log('trust', `${d.name} revoked its binding with ${this.devices.name(peer)}`, device);
    this.journal.changed();
  }

  /** The user answers binding prompt `key`. @throws Error when it is no longer pending or already confirmed. */
  answer(key: string, confirm: boolean): void {
    const p = this.prompts.get(key);
    if (!p || p.confirmed) throw new Error('that binding request is no longer pending');
    p.answer(confirm);
  }

  /** The binding prompts shown, as the UI shows them. */
  state(): LabBindPrompt[] {
    return [...this.prompts.values()].map(({ answer: _, ...p }) => p);
  }

  /** Shows a binding code on `device` until the user answers or the connection fails. */
  private confirm(device: string, req: BindingRequest, initiator: boolean): Promise<boolean> {
    const name = (id: string): string => this.devices.name(id);
    return new Promise<boolean>((resolve) => {
      const key = `b${++this.seq}`;
      const onAbort = (): void => {
        this.prompts.delete(key);
        this.journal.log('trust', `${name(device)}: binding with ${name(req.networkId)} abandoned`, device);
        this.journal.changed();
        resolve(false);
      };
      if (req.signal.aborted) return onAbort();
      req.signal.addEventListener('abort', onAbort, { once: true });
      const answer = (confirm: boolean): void => {
        req.signal.removeEventListener('abort', onAbort);
        const p = this.prompts.get(key);
        // A confirmed prompt stays ("waiting for the other device") until the attempt settles.
        if (confirm && p) this.prompts.set(key, { ...p, confirmed: true });
        else this.prompts.delete(key);
        this.journal.log(
          'trust',
          `${name(device)} ${confirm ? 'confirmed' : 'declined'} code ${req.code}`,
          device,
        );
        this.journal.changed();
        resolve(confirm);
      };
      this.prompts.set(key, {
        key,
        device,
        peer: req.networkId,
        code: req.code,
        initiator,
        confirmed: false,
        answer,
      });
      this.journal.log(
        'trust',
        `${name(device)} shows binding code ${req.code} for ${name(req.networkId)}`,
        device,
      );
      this.journal.changed();
    });
  }
}
