import { close, fdatasync, ftruncate, open, read, write } from 'node:fs';

/*
 * Positional I/O on a raw descriptor through the callback API. The request
 * path does one of these per READ/WRITE: measured on Node 20, a 4 KiB
 * FileHandle.read/write (fs/promises) costs 1.5–2× the CPU of the same call
 * through fs.read/fs.write, whose request objects are lighter. The caller
 * keeps the descriptor open (a slot held in use) for the call's length.
 * Content files are opened and closed here too, as plain descriptors: a
 * FileHandle costs a promise round trip more per close and is tracked by the
 * garbage collector, which shows when many small files are read once each.
 */

/** pwrite(2) of all of `data` at `position`, looping over short writes. */
export function pwriteAll(fd: number, data: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const next = (): void => {
      write(fd, data, done, data.length - done, position + done, (err, n) => {
        if (err) return reject(err);
        done += n;
        if (done >= data.length) resolve();
        else next();
      });
    };
    next();
  });
}

/** pread(2) into `out` from `position` until it is full or the file ends; resolves to the bytes read. */
export function preadFull(fd: number, out: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const next = (): void => {
      read(fd, out, got, out.length - got, position + got, (err, n) => {
        if (err) return reject(err);
        got += n;
        if (n === 0 || got >= out.length) resolve(got);
        else next();
      });
    };
    if (out.length === 0) resolve(0);
    else next();
  });
}

export function fdatasyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

export function ftruncateFd(fd: number, size: number): Promise<void> {
  return new Promise((resolve, reject) => ftruncate(fd, size, (err) => (err ? reject(err) : resolve())));
}

/** open(2) through the callback API; resolves to the descriptor. */
export function openFd(path: string, flags: number, mode?: number): Promise<number> {
  return new Promise((resolve, reject) => open(path, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
}
