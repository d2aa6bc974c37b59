import { useCallback, useEffect, useRef, useState } from 'react';
import type { Command, LabEvent, LabState, ServerMessage } from '../../src/lab/protocol';

const EMPTY: LabState = {
  devices: [],
  links: [],
  sessions: [],
  prompts: [],
  bindPrompts: [],
  transfers: [],
  linkEnhance: { servers: [], connections: [] },
  networks: [],
  networkSource: undefined,
};

/** Connects to the lab's WebSocket: live state, the event log, errors, and a `send` for commands. Reconnects. */
export function useLab() {
  const [state, setState] = useState<LabState>(EMPTY);
  const [events, setEvents] = useState<LabEvent[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [connected, setConnected] = useState(false);
  const ws = useRef<WebSocket | undefined>(undefined);

  useEffect(() => {
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const open = () => {
      const url = new URL('ws', location.href);
      url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const sock = new WebSocket(url);
      ws.current = sock;
      sock.onopen = () => setConnected(true);
      sock.onclose = () => {
        setConnected(false);
        if (!closed) retry = setTimeout(open, 1000);
      };
      sock.onmessage = (e) => {
        const m = JSON.parse(e.data as string) as ServerMessage;
        if (m.t === 'state') setState(m.state);
        else if (m.t === 'events') setEvents((prev) => [...prev, ...m.events].slice(-300));
        else if (m.t === 'error') setError(m.text);
      };
    };
    open();
    return () => {
      closed = true;
      clearTimeout(retry);
      ws.current?.close();
    };
  }, []);

  const send = useCallback((c: Command) => {
    setError(undefined);
    ws.current?.send(JSON.stringify(c));
  }, []);

  return { state, events, error, connected, send, clearError: () => setError(undefined) };
}
