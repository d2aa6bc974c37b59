import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, copyFile, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ColinkError, ErrorCode } from '../errors.js';
import { SECRET_FILE_MODE, STATE_DIR_MODE } from './constants.js';

/** Creates `dir` (and parents) with mode 0700 when missing; tightens an existing directory we own to 0700. */
export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: STATE_DIR_MODE });
    const s = await stat(dir);
    if (!s.isDirectory()) throw new Error('not a directory');
    if (typeof process.getuid === 'function' && s.uid === process.getuid() && (s.mode & 0o077) !== 0) {
      await chmod(dir, STATE_DIR_MODE);
    }
  } catch (e) {
    throw new ColinkError(ErrorCode.INVALID_ARGUMENT, `cannot use state directory ${dir}: ${errText(e)}`, {
      cause: e,
    });
  }
}

/** Writes `data` to a fresh temporary file next to `path` (mode 0600), flushed to disk. Returns its name. */
async function writeTemp(path: string, data: string | Uint8Array): Promise<string> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(
    tmp,
    fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY,
    SECRET_FILE_MODE,
  );
  try {
    await fh.writeFile(data);
    await fh.chmod(SECRET_FILE_MODE); // the umask may have narrowed, never widened; be explicit
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** fsyncs a directory so a rename/link in it survives a crash (POSIX: the entry lives in the directory). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, fsConstants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` atomically with `data` (mode 0600): write a temporary file in the same directory, fsync, rename
 * over the target, fsync the directory. Readers see the old or the new content, never a torn file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTemp(path, data);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dirname(path));
}

/** errno codes of filesystems without hard links (vfat, exFAT, some FUSE and SMB mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Creates `path` with `data` (mode 0600) only if it does not exist, atomically (hard link of a complete temporary
 * file; on filesystems without hard links an exclusive copy, which still fails if the file exists). Returns false
 * when another writer created it first.
 */
export async function createFileExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
  const tmp = await writeTemp(path, data);
  try {
    await link(tmp, path).catch((e: NodeJS.ErrnoException) => {
      if (!NO_HARD_LINKS.has(e.code ?? '')) throw e;
      return copyFile(tmp, path, fsConstants.COPYFILE_EXCL);
    });
    await syncDir(dirname(path));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Reads a UTF-8 file, or returns undefined when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Message of an unknown thrown value. */
export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
