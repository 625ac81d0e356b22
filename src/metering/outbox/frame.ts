import { crc32 } from 'node:zlib';

/**
 * One outbox record on disk:
 *   u32 payload length | u32 crc32 of everything after it | u32 seq high | u32 seq low | f64 appendedAt ms | payload
 * A torn final write shows up as a short frame or a checksum mismatch and is discarded on recovery.
 */
export const FRAME_HEADER_BYTES = 24;
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export interface OutboxEntry {
  /** Position in the outbox, strictly increasing from 1, never reused. */
  seq: number;
  /** When the entry was appended (ms since epoch, the outbox's clock). */
  appendedAt: number;
  /** The event as structured-mode CloudEvents JSON. */
  payload: string;
}

export function encodeFrame(entry: OutboxEntry): Buffer {
  const payloadBytes = Buffer.byteLength(entry.payload);
  if (payloadBytes > MAX_PAYLOAD_BYTES) throw new RangeError(`outbox entry of ${payloadBytes} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
  frame.writeUInt32BE(payloadBytes, 0);
  frame.writeUInt32BE(Math.floor(entry.seq / 2 ** 32), 8);
  frame.writeUInt32BE(entry.seq >>> 0, 12);
  frame.writeDoubleBE(entry.appendedAt, 16);
  frame.write(entry.payload, FRAME_HEADER_BYTES, 'utf8');
  frame.writeUInt32BE(crc32(frame.subarray(8)), 4);
  return frame;
}

export type DecodeResult =
  | { kind: 'frame'; entry: OutboxEntry; bytes: number }
  /** The buffer ends inside this frame: more bytes needed (or, at the end of a file, a torn write). */
  | { kind: 'incomplete'; needed: number }
  | { kind: 'corrupt'; reason: string };

/** Decodes the frame at `offset` of `buffer`. */
export function decodeFrame(buffer: Buffer, offset: number): DecodeResult {
  const available = buffer.length - offset;
  if (available < FRAME_HEADER_BYTES) return { kind: 'incomplete', needed: FRAME_HEADER_BYTES };
  const payloadBytes = buffer.readUInt32BE(offset);
  if (payloadBytes > MAX_PAYLOAD_BYTES) return { kind: 'corrupt', reason: `frame length ${payloadBytes} is impossible` };
  const total = FRAME_HEADER_BYTES + payloadBytes;
  if (available < total) return { kind: 'incomplete', needed: total };
  const expected = buffer.readUInt32BE(offset + 4);
  if (crc32(buffer.subarray(offset + 8, offset + total)) !== expected) return { kind: 'corrupt', reason: 'checksum mismatch' };
  const seq = buffer.readUInt32BE(offset + 8) * 2 ** 32 + buffer.readUInt32BE(offset + 12);
  const appendedAt = buffer.readDoubleBE(offset + 16);
  const payload = buffer.toString('utf8', offset + FRAME_HEADER_BYTES, offset + total);
  return { kind: 'frame', entry: { seq, appendedAt, payload }, bytes: total };
}
