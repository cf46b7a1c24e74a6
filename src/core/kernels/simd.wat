;; WebAssembly SIMD (128-bit) versions of the hot loops of src/core/kernels/int8.ts, float16.ts and
;; src/core/fp16/payload.ts. The TypeScript kernels are the definition: each function here computes what its
;; TypeScript twin computes, bit for bit, on the values at byte offset $src: the block at IN, where the caller copies
;; them, or a slot of ARENA, where a file read put them (see simd.ts, which also handles tails and rare values in
;; TypeScript). Compiled by scripts/gen-wasm-kernels.ts (wabt) into
;; simd.generated.ts; tests/core/simd-kernels.test.ts compares every function with its twin.
;;
;; Memory (98 MiB, 1568 pages; fixed, so views of it never detach):
;;   IN     0        256 KiB  up to 65536 float32 values (or their bit patterns)
;;   OUT    262144   128 KiB  quantized bytes (int8 / uint8) or float16 bit patterns
;;   SLOW   393216   64 KiB   indices of 8-value groups the float16 fast path could not take (u32)
;;   RES    458752   16 B     results: min, max (f32) / largest magnitude bits (u32) / NaN seen (i32, at +8)
;;   PARAMS 524288   512 KiB  per-column scale (f32), lower and upper clip bound (f32), zero point (i32): four
;;                            arrays of up to 32768 columns, at +0, +131072, +262144, +393216
;;   CMIN   1048576  128 KiB  per-column minimum (f32), up to 32768 columns
;;   CMAX   1179648  128 KiB  per-column maximum (f32)
;;   ARENA  2097152  96 MiB   six 16 MiB slots that file reads fill directly (simd.ts leaseSlot), so the values of a
;;                            weight are not copied again before the kernels read them
(module
  (memory (export "memory") 1568 1568)

  ;; min / max of the n float32 at $src, as Math.min / Math.max fold them: NaN propagates. -> RES f32 min, RES+4 f32 max.
  ;; The vector loop uses pmin / pmax (one instruction each, no NaN rule) and notes NaN lanes on the side; when it saw
  ;; one, both results are NaN, as the NaN-propagating fold gives.
  (func (export "minmax") (param $src i32) (param $n i32)
    (local $i i32) (local $end i32) (local $lo v128) (local $hi v128) (local $lo2 v128) (local $hi2 v128)
    (local $nan v128) (local $v v128) (local $w v128) (local $mn f32) (local $mx f32)
    (local.set $lo (v128.const f32x4 inf inf inf inf))
    (local.set $hi (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $lo2 (local.get $lo))
    (local.set $hi2 (local.get $hi))
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $w (v128.load offset=16 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $lo (f32x4.pmin (local.get $lo) (local.get $v)))
        (local.set $hi (f32x4.pmax (local.get $hi) (local.get $v)))
        (local.set $lo2 (f32x4.pmin (local.get $lo2) (local.get $w)))
        (local.set $hi2 (f32x4.pmax (local.get $hi2) (local.get $w)))
        (local.set $nan (v128.or (local.get $nan)
          (v128.or (f32x4.ne (local.get $v) (local.get $v)) (f32x4.ne (local.get $w) (local.get $w)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $l)))
    (local.set $lo (f32x4.pmin (local.get $lo) (local.get $lo2)))
    (local.set $hi (f32x4.pmax (local.get $hi) (local.get $hi2)))
    (local.set $mn (f32.min (f32.min (f32x4.extract_lane 0 (local.get $lo)) (f32x4.extract_lane 1 (local.get $lo)))
                            (f32.min (f32x4.extract_lane 2 (local.get $lo)) (f32x4.extract_lane 3 (local.get $lo)))))
    (local.set $mx (f32.max (f32.max (f32x4.extract_lane 0 (local.get $hi)) (f32x4.extract_lane 1 (local.get $hi)))
                            (f32.max (f32x4.extract_lane 2 (local.get $hi)) (f32x4.extract_lane 3 (local.get $hi)))))
    (if (v128.any_true (local.get $nan))
      (then
        (local.set $mn (f32.const nan))
        (local.set $mx (f32.const nan))))
    (block $tail
      (loop $t
        (br_if $tail (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $mn (f32.min (local.get $mn) (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $mx (f32.max (local.get $mx) (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $t)))
    (f32.store (i32.const 458752) (local.get $mn))
    (f32.store (i32.const 458756) (local.get $mx)))

  ;; Four float32 at byte offset $p quantized: clip(rint(float32(w / s)), l, h) + z as i32 lanes; NaN -> 0.
  ;; The clip is pmax / pmin (one maxps / minps each on x86; f32x4.max / min spend several instructions on their NaN
  ;; and +-0 rules): a NaN lane is masked to 0 below either way, and -0 and +0 round to the same integer, so the bytes
  ;; are those of max / min (tests/core/simd-kernels.test.ts; about twice as fast here). quantize_rows does the same.
  (func $q4 (param $p i32) (param $s v128) (param $l v128) (param $h v128) (param $z v128) (result v128)
    (local $x v128)
    (local.set $x (f32x4.div (v128.load (local.get $p)) (local.get $s)))
    (v128.and
      (i32x4.add
        (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.pmin (f32x4.pmax (local.get $x) (local.get $l)) (local.get $h))))
        (local.get $z))
      (f32x4.eq (local.get $x) (local.get $x))))

  ;; n float32 at $src (n a multiple of 16) quantized to OUT[0, n): q = clip(rint(float32(w / s)) + z, lo, hi) with
  ;; l = lo - z, h = hi - z (the clip before rounding, as quantizeSegment); $unsigned: 1 for uint8, 0 for int8.
  (func (export "quantize") (param $src i32) (param $n i32) (param $s f32) (param $l f32) (param $h f32) (param $z i32) (param $unsigned i32)
    (local $i i32) (local $p i32) (local $vs v128) (local $vl v128) (local $vh v128) (local $vz v128) (local $a v128) (local $b v128)
    (local.set $vs (f32x4.splat (local.get $s)))
    (local.set $vl (f32x4.splat (local.get $l)))
    (local.set $vh (f32x4.splat (local.get $h)))
    (local.set $vz (i32x4.splat (local.get $z)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $a (i16x8.narrow_i32x4_s
          (call $q4 (local.get $p) (local.get $vs) (local.get $vl) (local.get $vh) (local.get $vz))
          (call $q4 (i32.add (local.get $p) (i32.const 16)) (local.get $vs) (local.get $vl) (local.get $vh) (local.get $vz))))
        (local.set $b (i16x8.narrow_i32x4_s
          (call $q4 (i32.add (local.get $p) (i32.const 32)) (local.get $vs) (local.get $vl) (local.get $vh) (local.get $vz))
          (call $q4 (i32.add (local.get $p) (i32.const 48)) (local.get $vs) (local.get $vl) (local.get $vh) (local.get $vz))))
        (v128.store (i32.add (i32.const 262144) (local.get $i))
          (if (result v128) (local.get $unsigned)
            (then (i8x16.narrow_i16x8_u (local.get $a) (local.get $b)))
            (else (i8x16.narrow_i16x8_s (local.get $a) (local.get $b)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l))))

  ;; float32 -> float16 fast path over the n float32 at $src (bit patterns, n a multiple of 8) into OUT (u16): lanes whose magnitude
  ;; is in [fastLo, fastHi] are rebiased with round half to even (as narrowChunk's fast path); the index of every group
  ;; of 8 with another lane goes to SLOW (the caller redoes those groups exactly). Returns how many groups went to SLOW;
  ;; RES (u32) = the largest magnitude among fast lanes.
  (func (export "narrow") (param $src i32) (param $n i32) (param $fastLo i32) (param $fastHi i32) (result i32)
    (local $i i32) (local $p i32) (local $slow i32) (local $lo v128) (local $hi v128) (local $max v128)
    (local $w0 v128) (local $w1 v128) (local $m0 v128) (local $m1 v128) (local $in0 v128) (local $in1 v128)
    (local.set $lo (i32x4.splat (local.get $fastLo)))
    (local.set $hi (i32x4.splat (local.get $fastHi)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $w0 (v128.load (local.get $p)))
        (local.set $w1 (v128.load offset=16 (local.get $p)))
        (local.set $m0 (v128.and (local.get $w0) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
        (local.set $m1 (v128.and (local.get $w1) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
        (local.set $in0 (v128.and (i32x4.ge_u (local.get $m0) (local.get $lo)) (i32x4.le_u (local.get $m0) (local.get $hi))))
        (local.set $in1 (v128.and (i32x4.ge_u (local.get $m1) (local.get $lo)) (i32x4.le_u (local.get $m1) (local.get $hi))))
        (local.set $max (i32x4.max_u (local.get $max)
          (i32x4.max_u (v128.and (local.get $m0) (local.get $in0)) (v128.and (local.get $m1) (local.get $in1)))))
        (if (i32.eqz (i32x4.all_true (v128.and (local.get $in0) (local.get $in1))))
          (then
            (i32.store (i32.add (i32.const 393216) (i32.shl (local.get $slow) (i32.const 2))) (i32.shr_u (local.get $i) (i32.const 3)))
            (local.set $slow (i32.add (local.get $slow) (i32.const 1)))))
        ;; ((mag - 0x37fff001 + ((mag >>> 13) & 1)) >>> 13) | ((w >>> 16) & 0x8000)
        (v128.store (i32.add (i32.const 262144) (i32.shl (local.get $i) (i32.const 1)))
          (i16x8.narrow_i32x4_u
            (v128.or
              (i32x4.shr_u
                (i32x4.add (i32x4.sub (local.get $m0) (v128.const i32x4 0x37fff001 0x37fff001 0x37fff001 0x37fff001))
                  (v128.and (i32x4.shr_u (local.get $m0) (i32.const 13)) (v128.const i32x4 1 1 1 1)))
                (i32.const 13))
              (v128.and (i32x4.shr_u (local.get $w0) (i32.const 16)) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)))
            (v128.or
              (i32x4.shr_u
                (i32x4.add (i32x4.sub (local.get $m1) (v128.const i32x4 0x37fff001 0x37fff001 0x37fff001 0x37fff001))
                  (v128.and (i32x4.shr_u (local.get $m1) (i32.const 13)) (v128.const i32x4 1 1 1 1)))
                (i32.const 13))
              (v128.and (i32x4.shr_u (local.get $w1) (i32.const 16)) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $l)))
    (local.set $p (i32x4.extract_lane 0 (local.get $max)))
    (if (i32.gt_u (i32x4.extract_lane 1 (local.get $max)) (local.get $p)) (then (local.set $p (i32x4.extract_lane 1 (local.get $max)))))
    (if (i32.gt_u (i32x4.extract_lane 2 (local.get $max)) (local.get $p)) (then (local.set $p (i32x4.extract_lane 2 (local.get $max)))))
    (if (i32.gt_u (i32x4.extract_lane 3 (local.get $max)) (local.get $p)) (then (local.set $p (i32x4.extract_lane 3 (local.get $max)))))
    (i32.store (i32.const 458752) (local.get $p))
    (local.get $slow))

  ;; The largest magnitude bit pattern (w & 0x7fffffff, unsigned) of the n words at $src (n a multiple of 4), inf and NaN included.
  (func (export "maxmag") (param $src i32) (param $n i32) (result i32)
    (local $i i32) (local $max v128) (local $r i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $max (i32x4.max_u (local.get $max)
          (v128.and (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l)))
    (local.set $r (i32x4.extract_lane 0 (local.get $max)))
    (if (i32.gt_u (i32x4.extract_lane 1 (local.get $max)) (local.get $r)) (then (local.set $r (i32x4.extract_lane 1 (local.get $max)))))
    (if (i32.gt_u (i32x4.extract_lane 2 (local.get $max)) (local.get $r)) (then (local.set $r (i32x4.extract_lane 2 (local.get $max)))))
    (if (i32.gt_u (i32x4.extract_lane 3 (local.get $max)) (local.get $r)) (then (local.set $r (i32x4.extract_lane 3 (local.get $max)))))
    (local.get $r))
  ;; Rows at $src ([rows, cols] float32, cols a multiple of 4) folded into the per-column CMIN / CMAX (pmin / pmax); a NaN sets
  ;; RES+8 to 1 (the caller then reports NaN; the extremes of NaN columns are unspecified, as in int8.ts).
  (func (export "rows_minmax") (param $src i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $p i32) (local $q i32) (local $v v128) (local $nan v128)
    (block $rdone
      (loop $rl
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $cl
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $cols)))
            (local.set $p (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2))))
            (local.set $q (i32.shl (local.get $c) (i32.const 2)))
            (local.set $v (v128.load (local.get $p)))
            (v128.store offset=1048576 (local.get $q) (f32x4.pmin (v128.load offset=1048576 (local.get $q)) (local.get $v)))
            (v128.store offset=1179648 (local.get $q) (f32x4.pmax (v128.load offset=1179648 (local.get $q)) (local.get $v)))
            (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $cl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))
    (if (v128.any_true (local.get $nan)) (then (i32.store (i32.const 458760) (i32.const 1)))))

  ;; Rows at $src ([rows, cols] float32, cols a multiple of 4) quantized into OUT with the per-column PARAMS, as int8.ts
  ;; quantizeRows: clip(rint(float32(w / s[c])), l[c], h[c]) + z[c], low 8 bits; NaN -> 0. $unsigned as in quantize.
  (func (export "quantize_rows") (param $src i32) (param $rows i32) (param $cols i32) (param $unsigned i32)
    (local $r i32) (local $c i32) (local $i i32) (local $q i32) (local $x v128) (local $v v128) (local $b v128)
    (block $rdone
      (loop $rl
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $cl
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $cols)))
            (local.set $i (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)))
            (local.set $q (i32.shl (local.get $c) (i32.const 2)))
            (local.set $x (f32x4.div (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (v128.load offset=524288 (local.get $q))))
            (local.set $v (v128.and
              (i32x4.add
                (i32x4.trunc_sat_f32x4_s (f32x4.nearest
                  (f32x4.pmin (f32x4.pmax (local.get $x) (v128.load offset=655360 (local.get $q))) (v128.load offset=786432 (local.get $q)))))
                (v128.load offset=917504 (local.get $q)))
              (f32x4.eq (local.get $x) (local.get $x))))
            (local.set $b (i16x8.narrow_i32x4_s (local.get $v) (local.get $v)))
            (v128.store32_lane offset=262144 0 (local.get $i)
              (if (result v128) (local.get $unsigned)
                (then (i8x16.narrow_i16x8_u (local.get $b) (local.get $b)))
                (else (i8x16.narrow_i16x8_s (local.get $b) (local.get $b)))))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $cl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))))
