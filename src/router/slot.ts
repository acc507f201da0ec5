/**
 * Key to hash slot: CRC16 (XMODEM) of the key, or of its `{hash tag}`, mod 16384.
 *
 * The CRC itself comes from `cluster-key-slot`. That package UTF-8 encodes JS
 * strings, but our keys are latin1 strings (one char per byte), so a string key
 * is first written byte-for-byte into a scratch buffer.
 */
import calculateSlot from 'cluster-key-slot';

/** Number of hash slots in a cluster. */
export const SLOT_COUNT = 16384;

const SCRATCH = Buffer.allocUnsafe(1024);

/** Hash slot of a key given as a latin1 string or as raw bytes. */
export function keySlot(key: string | Uint8Array): number {
  if (typeof key !== 'string') return calculateSlot(key as Buffer);
  if (key.length <= SCRATCH.length) {
    const n = SCRATCH.write(key, 0, 'latin1');
    return calculateSlot(SCRATCH.subarray(0, n));
  }
  return calculateSlot(Buffer.from(key, 'latin1'));
}
