// SHA-256 (FIPS 180-4 §6.2): a scalar compression and a 4-lane v128 compression that hashes
// four independent messages at once (the fs-verity leaf level: composefs-image.md §1.3).
// Messages here are always a whole number of 64-byte blocks followed by one padding block whose
// schedule is the same for every lane (set once by sha256SetPadding).

const K = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H0 = memory.data<u32>([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Scalar state (8 words), message schedule, and the padding block's schedule. */
const STATE = memory.data(32, 16);
const W = memory.data(64 * 4, 16);
const PAD = memory.data(64 * 4, 16);
/** 4-lane state (8 × v128, lane j = message j), schedule, K and padding schedule splatted. */
const STATE4 = memory.data(8 * 16, 16);
const W4 = memory.data(64 * 16, 16);
const K4 = memory.data(64 * 16, 16);
const PAD4 = memory.data(64 * 16, 16);

// ---- scalar ----

@inline function bigSigma0(x: u32): u32 { return rotr<u32>(x, 2) ^ rotr<u32>(x, 13) ^ rotr<u32>(x, 22); }
@inline function bigSigma1(x: u32): u32 { return rotr<u32>(x, 6) ^ rotr<u32>(x, 11) ^ rotr<u32>(x, 25); }
@inline function smallSigma0(x: u32): u32 { return rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >>> 3); }
@inline function smallSigma1(x: u32): u32 { return rotr<u32>(x, 17) ^ rotr<u32>(x, 19) ^ (x >>> 10); }

/** Extends W[0..15] (at w) to W[0..63]. */
function schedule(w: usize): void {
  for (let t: usize = 16; t < 64; t++) {
    const p = w + (t << 2);
    store<u32>(p, smallSigma1(load<u32>(p - 8)) + load<u32>(p - 28) + smallSigma0(load<u32>(p - 60)) + load<u32>(p - 64));
  }
}

/** One round's T1 + T2 (FIPS 180-4 §6.2.2 step 3). */
@inline function t1(e: u32, f: u32, g: u32, h: u32, t: usize, w: usize): u32 {
  return h + bigSigma1(e) + ((e & f) ^ (~e & g)) + load<u32>(K + t) + load<u32>(w + t);
}
@inline function t2(a: u32, b: u32, c: u32): u32 {
  return bigSigma0(a) + ((a & b) ^ (a & c) ^ (b & c));
}

/** 64 rounds over the schedule at w, added into STATE. */
function rounds(w: usize): void {
  let a = load<u32>(STATE, 0), b = load<u32>(STATE, 4), c = load<u32>(STATE, 8), d = load<u32>(STATE, 12);
  let e = load<u32>(STATE, 16), f = load<u32>(STATE, 20), g = load<u32>(STATE, 24), h = load<u32>(STATE, 28);
  for (let t: usize = 0; t < 256; t += 32) {
    let x = t1(e, f, g, h, t, w); d += x; h = x + t2(a, b, c);
    x = t1(d, e, f, g, t + 4, w); c += x; g = x + t2(h, a, b);
    x = t1(c, d, e, f, t + 8, w); b += x; f = x + t2(g, h, a);
    x = t1(b, c, d, e, t + 12, w); a += x; e = x + t2(f, g, h);
    x = t1(a, b, c, d, t + 16, w); h += x; d = x + t2(e, f, g);
    x = t1(h, a, b, c, t + 20, w); g += x; c = x + t2(d, e, f);
    x = t1(g, h, a, b, t + 24, w); f += x; b = x + t2(c, d, e);
    x = t1(f, g, h, a, t + 28, w); e += x; a = x + t2(b, c, d);
  }
  store<u32>(STATE, load<u32>(STATE, 0) + a, 0); store<u32>(STATE, load<u32>(STATE, 4) + b, 4);
  store<u32>(STATE, load<u32>(STATE, 8) + c, 8); store<u32>(STATE, load<u32>(STATE, 12) + d, 12);
  store<u32>(STATE, load<u32>(STATE, 16) + e, 16); store<u32>(STATE, load<u32>(STATE, 20) + f, 20);
  store<u32>(STATE, load<u32>(STATE, 24) + g, 24); store<u32>(STATE, load<u32>(STATE, 28) + h, 28);
}

/** STATE = the initial hash value H(0). */
export function sha256Init(): void {
  memory.copy(STATE, H0, 32);
}

/** Copies STATE to / from the 32 bytes at p (to start many messages from one salted state). */
export function sha256SaveState(p: usize): void {
  memory.copy(p, STATE, 32);
}
export function sha256LoadState(p: usize): void {
  memory.copy(STATE, p, 32);
}

/** Compresses n 64-byte blocks at p into STATE. */
export function sha256Blocks(p: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++, p += 64) {
    for (let t: usize = 0; t < 16; t++) store<u32>(W + (t << 2), bswap<u32>(load<u32>(p + (t << 2))));
    schedule(W);
    rounds(W);
  }
}

/** Writes STATE as the 32-byte big-endian digest at out. */
export function sha256Output(out: usize): void {
  for (let t: usize = 0; t < 8; t++) store<u32>(out + (t << 2), bswap<u32>(load<u32>(STATE + (t << 2))));
}

/** Precomputes the schedule of the padding block that ends a message of msgLen bytes (a multiple of 64). */
export function sha256SetPadding(msgLen: u64): void {
  memory.fill(PAD, 0, 64);
  store<u32>(PAD, 0x80000000);
  const bits = msgLen << 3;
  store<u32>(PAD, <u32>(bits >>> 32), 56);
  store<u32>(PAD, <u32>bits, 60);
  schedule(PAD);
  for (let t: usize = 0; t < 64; t++) v128.store(PAD4 + (t << 4), i32x4.splat(load<u32>(PAD + (t << 2))));
}

/** Compresses the padding block set by sha256SetPadding into STATE. */
export function sha256PadBlock(): void {
  rounds(PAD);
}

// ---- 4 lanes ----

@inline function rotr4(x: v128, n: i32): v128 { return v128.or(i32x4.shr_u(x, n), i32x4.shl(x, 32 - n)); }
@inline function bigSigma0x4(x: v128): v128 { return v128.xor(v128.xor(rotr4(x, 2), rotr4(x, 13)), rotr4(x, 22)); }
@inline function bigSigma1x4(x: v128): v128 { return v128.xor(v128.xor(rotr4(x, 6), rotr4(x, 11)), rotr4(x, 25)); }
@inline function smallSigma0x4(x: v128): v128 { return v128.xor(v128.xor(rotr4(x, 7), rotr4(x, 18)), i32x4.shr_u(x, 3)); }
@inline function smallSigma1x4(x: v128): v128 { return v128.xor(v128.xor(rotr4(x, 17), rotr4(x, 19)), i32x4.shr_u(x, 10)); }
@inline function bswap4(x: v128): v128 { return i8x16.shuffle(x, x, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12); }

/**
 * Reads 16 bytes from each of p0..p3, transposes the 4×4 words, byte-swaps them and stores the
 * four resulting vectors at out, out+stride, ... (row k = word k of the four sources).
 */
@inline function transposeBswap(p0: usize, p1: usize, p2: usize, p3: usize, out: usize, stride: usize): void {
  const r0 = v128.load(p0), r1 = v128.load(p1), r2 = v128.load(p2), r3 = v128.load(p3);
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(out, bswap4(i64x2.shuffle(t0, t2, 0, 2)));
  v128.store(out + stride, bswap4(i64x2.shuffle(t0, t2, 1, 3)));
  v128.store(out + 2 * stride, bswap4(i64x2.shuffle(t1, t3, 0, 2)));
  v128.store(out + 3 * stride, bswap4(i64x2.shuffle(t1, t3, 1, 3)));
}

function schedule4(w: usize): void {
  for (let t: usize = 16; t < 64; t++) {
    const p = w + (t << 4);
    const s = i32x4.add(smallSigma1x4(v128.load(p - 32)), v128.load(p - 112));
    v128.store(p, i32x4.add(i32x4.add(s, smallSigma0x4(v128.load(p - 240))), v128.load(p - 256)));
  }
}

function rounds4(w: usize): void {
  let a = v128.load(STATE4, 0), b = v128.load(STATE4, 16), c = v128.load(STATE4, 32), d = v128.load(STATE4, 48);
  let e = v128.load(STATE4, 64), f = v128.load(STATE4, 80), g = v128.load(STATE4, 96), h = v128.load(STATE4, 112);
  for (let t: usize = 0; t < 64; t++) {
    const wk = i32x4.add(v128.load(K4 + (t << 4)), v128.load(w + (t << 4)));
    const t1 = i32x4.add(i32x4.add(h, bigSigma1x4(e)), i32x4.add(v128.bitselect(f, g, e), wk));
    const t2 = i32x4.add(bigSigma0x4(a), v128.bitselect(c, a, v128.xor(a, b)));
    h = g; g = f; f = e; e = i32x4.add(d, t1); d = c; c = b; b = a; a = i32x4.add(t1, t2);
  }
  v128.store(STATE4, i32x4.add(v128.load(STATE4, 0), a), 0); v128.store(STATE4, i32x4.add(v128.load(STATE4, 16), b), 16);
  v128.store(STATE4, i32x4.add(v128.load(STATE4, 32), c), 32); v128.store(STATE4, i32x4.add(v128.load(STATE4, 48), d), 48);
  v128.store(STATE4, i32x4.add(v128.load(STATE4, 64), e), 64); v128.store(STATE4, i32x4.add(v128.load(STATE4, 80), f), 80);
  v128.store(STATE4, i32x4.add(v128.load(STATE4, 96), g), 96); v128.store(STATE4, i32x4.add(v128.load(STATE4, 112), h), 112);
}

for (let t: usize = 0; t < 64; t++) v128.store(K4 + (t << 4), i32x4.splat(load<u32>(K + (t << 2))));

/** Every lane of the 4-lane state = the 8 words at p (e.g. H(0), or H(0) after a salt block). */
export function sha256x4LoadState(p: usize): void {
  for (let t: usize = 0; t < 8; t++) v128.store(STATE4 + (t << 4), i32x4.splat(load<u32>(p + (t << 2))));
}

/** Compresses n consecutive 64-byte blocks from each of p0..p3 into lanes 0..3. */
export function sha256x4Blocks(p0: usize, p1: usize, p2: usize, p3: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    for (let q: usize = 0; q < 64; q += 16) transposeBswap(p0 + q, p1 + q, p2 + q, p3 + q, W4 + (q << 2), 16);
    schedule4(W4);
    rounds4(W4);
    p0 += 64; p1 += 64; p2 += 64; p3 += 64;
  }
}

/** Compresses the padding block into all lanes. */
export function sha256x4PadBlock(): void {
  rounds4(PAD4);
}

/** Writes the digests of the first `lanes` lanes, 32 bytes each, at out. */
export function sha256x4Output(out: usize, lanes: u32): void {
  const tmp = W4; // the schedule is dead once the padding block is done
  transposeBswap(STATE4, STATE4 + 16, STATE4 + 32, STATE4 + 48, tmp, 32);
  transposeBswap(STATE4 + 64, STATE4 + 80, STATE4 + 96, STATE4 + 112, tmp + 16, 32);
  memory.copy(out, tmp, lanes << 5);
}
