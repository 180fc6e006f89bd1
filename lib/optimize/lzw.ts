/**
 * TIFF LZW encoding, as libtiff's encoder writes it (tif_lzw.c): codes MSB first, starting at 9 bits,
 * ClearCode 256 first, EndOfInformation 257 last; the width grows as soon as the next free code
 * needs it ("early change", which TIFF readers expect), and the table is cleared when it holds 4094
 * codes. libtiff also clears early when the ratio worsens; that is optional, so this doesn't.
 */

const CLEAR = 256;
const EOI = 257;
const FIRST = 258;
/** libtiff's CODE_MAX - 1: the table is cleared when the next free code would be this. */
const FULL = 4094;
/** Open-addressed table of (prefix code << 8 | byte) → code, at most 4094 entries: under half full. */
const SLOTS = 1 << 13;

/** Working memory reused from call to call: a worker encodes tile after tile. */
const keys = new Int32Array(SLOTS);
const codes = new Uint16Array(SLOTS);
let scratch = new Uint8Array(0);

/** The LZW bytes of `input`, in an exact-size buffer of their own. */
export function lzwEncode(input: Uint8Array): Uint8Array {
  // At most one 12-bit code per input byte, plus clears and the end: 1.5 × n and a little.
  const need = Math.ceil(input.length * 1.5) + 16;
  if (scratch.length < need) scratch = new Uint8Array(need);
  const out = scratch;
  keys.fill(-1);
  let pos = 0, acc = 0, accBits = 0;
  let nbits = 9, maxcode = 511, free = FIRST;

  const put = (code: number) => {
    acc = (acc << nbits) | code;
    accBits += nbits;
    while (accBits >= 8) {
      accBits -= 8;
      out[pos++] = (acc >>> accBits) & 0xff;
    }
    acc &= (1 << accBits) - 1; // keep only the bits not yet written, so acc never overflows
  };
  /** After a code is added (or would be, at the end): clear a full table, or widen the codes. */
  const grew = () => {
    if (free === FULL) {
      put(CLEAR);
      keys.fill(-1);
      free = FIRST;
      nbits = 9;
      maxcode = 511;
    } else if (free > maxcode) {
      nbits++;
      maxcode = (1 << nbits) - 1;
    }
  };

  put(CLEAR);
  if (input.length === 0) {
    put(EOI);
  } else {
    let ent = input[0];
    for (let i = 1; i < input.length; i++) {
      const c = input[i];
      const key = (ent << 8) | c;
      let slot = Math.imul(key, 0x9e3779b1) >>> 19;
      while (keys[slot] !== -1 && keys[slot] !== key) slot = (slot + 1) & (SLOTS - 1);
      if (keys[slot] === key) {
        ent = codes[slot];
        continue;
      }
      put(ent);
      ent = c;
      keys[slot] = key;
      codes[slot] = free++;
      grew();
    }
    put(ent);
    // The reader adds an entry for this last code too, and widens for it before reading EOI.
    free++;
    grew();
    put(EOI);
  }
  if (accBits > 0) out[pos++] = (acc << (8 - accBits)) & 0xff;
  return out.slice(0, pos);
}
