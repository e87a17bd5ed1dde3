// The multipart side of dataset uploads, shared by the host-backend API and the widget API: multer, the file kept in
// shared memory (bounded by the file size limit; see sharedMemoryStorage) and explicit limits on every part of the
// form.
import type { Request, RequestHandler } from 'express';
import type multer from 'multer';
import { DatasetError } from './errors.ts';
import type { DatasetSettings } from './settings.ts';

export const UPLOAD_FIELD = 'file';
/** multipart limits besides the file size: one file, a few short text fields */
export const UPLOAD_LIMITS = {
  files: 1,
  fields: 5,
  parts: 7,
  fieldSize: 4096,
  fieldNameSize: 100,
  headerPairs: 20,
} as const;

/**
 * Parses `multipart/form-data` with one file in the field `file`. A file over the size limit answers 413
 * (MulterError LIMIT_FILE_SIZE); more files, parts or fields, a longer field or another file field answer 400.
 * The client's filename is kept whole (preservePath), so `../x.csv` is refused rather than silently shortened.
 */
export function uploadMiddleware(settings: Pick<DatasetSettings, 'maxFileBytes'>): RequestHandler {
  // multer loads with the first upload, not at start
  let parsing: Promise<RequestHandler> | undefined;
  const parser = (): Promise<RequestHandler> => {
    parsing ??= import('multer').then(({ default: multer }) =>
      multer({
        storage: sharedMemoryStorage(settings.maxFileBytes),
        limits: { fileSize: settings.maxFileBytes, ...UPLOAD_LIMITS },
        preservePath: true,
        defParamCharset: 'utf8',
      }).single(UPLOAD_FIELD),
    );
    return parsing;
  };
  return async (req, res, next) => {
    const parse = await parser();
    parse(req, res, (err?: unknown) => {
      if (err === undefined || err === null) return next();
      // busboy's own parse errors ("Malformed part header", "Unexpected end of form", ...) are the client's
      const name = (err as { name?: string }).name;
      if (name === 'MulterError' || name === 'HttpError') return next(err);
      const detail = err instanceof Error && /^[\w ,.'-]{1,80}$/.test(err.message) ? `: ${err.message}` : '';
      next(new DatasetError(400, 'invalid_request', `the multipart body cannot be read${detail}`));
    });
  };
}

/**
 * multer storage that writes the file into shared memory as it arrives, a chunk at a time: the worker that reads the
 * file (pool.ts) and the storage that keeps its bytes use that same memory. multer's memory storage gathered the
 * chunks and copied them together at the end, and the bytes were copied again for the worker: two 30-80 ms stalls of
 * the server's thread for a 9 MB file on a small virtual machine, where fresh memory is dear. The memory is sized by
 * the request's Content-Length (never past the size limit, which multer enforces as before) and grows when a body
 * without one is larger; its pages are taken as they are written.
 */
export function sharedMemoryStorage(maxBytes: number): multer.StorageEngine {
  return {
    _handleFile(req, file, callback) {
      const declared = Number(req.headers['content-length']);
      const capacity =
        Number.isSafeInteger(declared) && declared > 0 ? Math.min(declared, maxBytes) : 64 * 1024;
      let memory = new Uint8Array(new SharedArrayBuffer(capacity));
      let size = 0;
      file.stream.on('data', (chunk: Buffer) => {
        if (size + chunk.length > memory.length) {
          const grown = new Uint8Array(
            new SharedArrayBuffer(Math.max(memory.length * 2, size + chunk.length)),
          );
          grown.set(memory.subarray(0, size));
          memory = grown;
        }
        memory.set(chunk, size);
        size += chunk.length;
      });
      file.stream.once('error', (err: Error) => callback(err));
      file.stream.once('end', () => callback(null, { buffer: Buffer.from(memory.buffer, 0, size), size }));
    },
    _removeFile(_req, file, callback) {
      (file as { buffer?: Buffer }).buffer = undefined;
      callback(null);
    },
  };
}

/** The uploaded file; 400 when the request carried none. */
export function uploadedFile(req: Request): { filename: string; bytes: Buffer } {
  const file = (req as Request & { file?: Express.Multer.File }).file;
  if (!file) {
    throw new DatasetError(
      400,
      'invalid_request',
      `expected multipart/form-data with the file in a "${UPLOAD_FIELD}" field`,
    );
  }
  return { filename: file.originalname, bytes: file.buffer };
}

/** A text field of the multipart body (multer's body has no prototype; repeated fields are refused). */
export function formField(req: Request, name: string): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || !Object.hasOwn(body, name)) return undefined;
  const value = body[name];
  if (typeof value !== 'string')
    throw new DatasetError(400, 'invalid_request', `${name} must be given once, as text`);
  return value;
}

/** A route parameter as text ('' when absent). */
export function routeParam(req: Request, name: string): string {
  const value = (req.params as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}
