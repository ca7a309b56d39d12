// The portable micro-kernel (see CKernels.h), in 4-wide vectors of the compiler's generic vector
// extension: SSE2 on any x86-64, NEON on arm64. A 12 x W tile is computed as 4 x 8 sub-tiles
// (8 accumulators, two vectors of B, one broadcast: 11 registers, within SSE's 16), each a pass
// over the depth.
#include "CKernels.h"
#include "epilogue.h"

typedef float v4 __attribute__((vector_size(16)));
typedef int32_t i4 __attribute__((vector_size(16)));
ECG_DEFINE_EPILOGUE(epilogue, , v4, i4)

static inline v4 load4(const float *p) {
    v4 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline void store4(float *p, v4 v) { __builtin_memcpy(p, &v, sizeof v); }

/// The 4 bias values from `bias`, or the no-bias identity (epilogue.h) when it is NULL.
static inline v4 loadBias(const float *bias) { return bias ? load4(bias) : (v4){0} + ECG_NO_BIAS; }

/// C[4 x 8] (+)= A · B, then the epilogue with the 8 values at `bias`: A rows 0..<4 of a 12-row
/// panel (from `a`), B 8 columns of a panel `ldb` wide.
static inline void tile4x8(int64_t depth, const float *a, const float *b, int64_t ldb, float *c, int64_t ldc,
                           int32_t accumulate, const float *bias, int32_t activation) {
    v4 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
    for (int64_t p = 0; p < depth; p++) {
        const v4 b0 = load4(b), b1 = load4(b + 4);
        v4 s;
        s = (v4){0} + a[0]; c00 += s * b0; c01 += s * b1;
        s = (v4){0} + a[1]; c10 += s * b0; c11 += s * b1;
        s = (v4){0} + a[2]; c20 += s * b0; c21 += s * b1;
        s = (v4){0} + a[3]; c30 += s * b0; c31 += s * b1;
        a += 12;
        b += ldb;
    }
    v4 rows[4][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
    const v4 bias0 = loadBias(bias), bias1 = loadBias(bias ? bias + 4 : NULL);
    for (int r = 0; r < 4; r++) {
        float *q = c + r * ldc;
        if (accumulate) {
            rows[r][0] += load4(q);
            rows[r][1] += load4(q + 4);
        }
        store4(q, epilogue(rows[r][0], bias0, activation));
        store4(q + 4, epilogue(rows[r][1], bias1, activation));
    }
}

/// C[12 x width] (+)= A · B, then the epilogue, as 3 x (width / 8) sub-tiles.
static inline void tile(int64_t depth, const float *a, const float *b, int64_t width, float *c, int64_t ldc,
                        int32_t accumulate, const float *bias, int32_t activation) {
    for (int64_t row = 0; row < 12; row += 4) {
        for (int64_t column = 0; column < width; column += 8) {
            tile4x8(depth, a + row, b + column, width, c + row * ldc + column, ldc, accumulate,
                    bias ? bias + column : NULL, activation);
        }
    }
}

void ecg_tile12x32_portable(ECG_PACKED_TILE_PARAMETERS) {
    tile(depth, a, b, 32, c, ldc, accumulate, bias, activation);
}

void ecg_tile12x16_portable(ECG_PACKED_TILE_PARAMETERS) {
    tile(depth, a, b, 16, c, ldc, accumulate, bias, activation);
}

#if !(defined(__x86_64__) || defined(_M_X64))
// Not x86-64: the AVX2 and AVX-512 sets are never selected (`KernelSet.isSupported`), but their
// names must exist for the binary to link; they run the portable tiles.
void ecg_tile12x32_avx2(ECG_PACKED_TILE_PARAMETERS) {
    tile(depth, a, b, 32, c, ldc, accumulate, bias, activation);
}
void ecg_tile12x16_avx2(ECG_PACKED_TILE_PARAMETERS) {
    tile(depth, a, b, 16, c, ldc, accumulate, bias, activation);
}
void ecg_tile12x32_avx512(ECG_PACKED_TILE_PARAMETERS) {
    tile(depth, a, b, 32, c, ldc, accumulate, bias, activation);
}
void ecg_tile12x16_avx512(ECG_PACKED_TILE_PARAMETERS) {
    tile(depth, a, b, 16, c, ldc, accumulate, bias, activation);
}
#endif
