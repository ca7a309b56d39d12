// GEMM throughput, one thread: each CKernels micro-kernel set against OpenBLAS's own sgemm, for
// convolution-shaped products (M output pixels x N output channels x K patch values, from the
// models' layers). The tiles get A and B already packed, as conv2dForward gives them (B packed
// at load time, A by im2col, which an OpenBLAS route would need as well); sgemm packs internally.
// Each figure is the best of many short runs, so that a loaded machine still shows peak rates.
// With AVX-512 BF16 the bf16 tiles run too, on the same values rounded to bfloat16 (`ecg_pack_bf16`),
// and with AVX-512 VNNI the int8 tiles, on the values quantized (`ecg_quantize_u8`/`_s8`), whole depth
// per tile (GOP/s: a multiply-add counts 2, as for the floats).
//
// Build and run from the repository root (Debian: libopenblas-dev):
//   clang -O2 -ISources/CKernels/include tools/bench/tiles_vs_openblas.c Sources/CKernels/*.c -lopenblas -lm -o tiles_vs_openblas
//   ./tiles_vs_openblas                              # OpenBLAS's kernel for this CPU
//   OPENBLAS_CORETYPE=Haswell ./tiles_vs_openblas    # OpenBLAS's AVX2 kernel, to compare with avx2
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "CKernels.h"

typedef void (*tile_fn)(int64_t, const float *, const float *, float *, int64_t, int32_t, const float *, int32_t,
                        const float *, int64_t);

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/// C = A · B from 12-row A panels and 32-column B panels, in 512-deep slices as conv2dForward does.
static void tiled(tile_fn f, int m, int n, int k, const float *a, const float *b, float *c) {
    for (int k0 = 0; k0 < k; k0 += 512) {
        const int depth = k - k0 < 512 ? k - k0 : 512;
        for (int j = 0; j < n / 32; j++)
            for (int i = 0; i < m / 12; i++)
                f(depth, a + (size_t)i * 12 * k + (size_t)k0 * 12, b + (size_t)j * k * 32 + (size_t)k0 * 32,
                  c + (size_t)i * 12 * n + j * 32, n, k0 > 0, NULL, ECG_ACTIVATION_IDENTITY, NULL, 0);
    }
}

/// `tiled` for the bf16 tiles: the operands packed in pairs of depth rows (k even), so a panel
/// and a slice start at the same element offsets as in fp32.
static void tiled_bf16(int m, int n, int k, const uint16_t *a, const uint16_t *b, float *c) {
    for (int k0 = 0; k0 < k; k0 += 512) {
        const int depth = k - k0 < 512 ? k - k0 : 512;
        for (int j = 0; j < n / 32; j++)
            for (int i = 0; i < m / 12; i++)
                ecg_tile12x32_bf16(depth / 2, a + (size_t)i * 12 * k + (size_t)k0 * 12, b + (size_t)j * k * 32 + (size_t)k0 * 32,
                                   c + (size_t)i * 12 * n + j * 32, n, k0 > 0);
    }
}

/// `tiled` for the int8 tiles: A panels of `ceil(k/4) · 48` bytes, B panels of `ceil(k/4) · 128`.
static void tiled_int8(int m, int n, int k, const uint8_t *a, const int8_t *b, float *c, const float *rowScales,
                       const float *columnScales, const int32_t *sums) {
    const int quads = (k + 3) / 4;
    for (int j = 0; j < n / 32; j++)
        for (int i = 0; i < m / 12; i++)
            ecg_tile12x32_int8(quads, a + (size_t)i * quads * 48, b + (size_t)j * quads * 128, c + (size_t)i * 12 * n + j * 32, n,
                               rowScales + i * 12, columnScales + j * 32, sums + j * 32);
}

int main(void) {
    openblas_set_num_threads(1);
    setvbuf(stdout, NULL, _IOLBF, 0);
    // MobileNetV2 pointwise/expansion layers, small_cnn and VGG16-like 3x3 layers.
    const int shapes[][3] = {{3136, 144, 24}, {3136, 24, 144}, {784, 192, 32}, {196, 384, 64}, {196, 64, 384},
                             {49, 1280, 320}, {22188, 32, 288}, {5329, 64, 576}, {3136, 256, 2304}, {196, 512, 4608}};
    const int features = ecg_cpu_features();
    const tile_fn sets[3] = {ecg_tile12x32_avx512, ecg_tile12x32_avx2, ecg_tile12x32_portable};
    const char *names[6] = {"avx512", "avx2", "portable", "openblas", "bf16", "int8"};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int m = (shapes[s][0] + 11) / 12 * 12, n = (shapes[s][1] + 31) / 32 * 32, k = shapes[s][2];
        float *a = aligned_alloc(64, (size_t)m * k * 4), *b = aligned_alloc(64, (size_t)k * n * 4);
        float *c = aligned_alloc(64, (size_t)m * n * 4);
        for (size_t i = 0; i < (size_t)m * k; i++) a[i] = (rand() % 100) / 100.f;
        for (size_t i = 0; i < (size_t)k * n; i++) b[i] = (rand() % 100) / 100.f;
        uint16_t *ah = aligned_alloc(64, (size_t)m * k * 2), *bh = aligned_alloc(64, (size_t)k * n * 2);
        if (features & ECG_CPU_AVX512_BF16) {
            for (int i = 0; i < m / 12; i++) ecg_pack_bf16(k, 12, a + (size_t)i * 12 * k, ah + (size_t)i * 12 * k);
            for (int j = 0; j < n / 32; j++) ecg_pack_bf16(k, 32, b + (size_t)j * k * 32, bh + (size_t)j * k * 32);
        }
        const int quads = (k + 3) / 4;
        uint8_t *aq = aligned_alloc(64, (size_t)(m / 12) * quads * 48);
        int8_t *bq = aligned_alloc(64, (size_t)(n / 32) * quads * 128);
        float *rowScales = aligned_alloc(64, (size_t)m * 4), *columnScales = aligned_alloc(64, (size_t)n * 4);
        int32_t *sums = aligned_alloc(64, (size_t)n * 4);
        if (features & ECG_CPU_AVX512_VNNI) {
            for (int i = 0; i < m / 12; i++) ecg_quantize_u8(k, a + (size_t)i * 12 * k, aq + (size_t)i * quads * 48, rowScales + i * 12);
            for (int j = 0; j < n / 32; j++)
                ecg_quantize_s8(k, 32, b + (size_t)j * k * 32, bq + (size_t)j * quads * 128, columnScales + j * 32, sums + j * 32);
        }
        const double flops = 2.0 * m * n * k;
        const int reps = (int)(4e7 / flops) + 1;
        double best[6] = {1e9, 1e9, 1e9, 1e9, 1e9, 1e9};
        for (int round = 0; round < 40; round++) {
            for (int v = 0; v < 6; v++) {
                if ((v == 0 && !(features & ECG_CPU_AVX512F)) || (v == 1 && !(features & ECG_CPU_AVX2_FMA))) continue;
                if (v == 4 && !(features & ECG_CPU_AVX512_BF16)) continue;
                if (v == 5 && !(features & ECG_CPU_AVX512_VNNI)) continue;
                if (v == 2 && round >= 10) continue;  // slow; ten rounds are enough
                const double start = seconds();
                for (int r = 0; r < reps; r++) {
                    if (v < 3) tiled(sets[v], m, n, k, a, b, c);
                    else if (v == 4) tiled_bf16(m, n, k, ah, bh, c);
                    else if (v == 5) tiled_int8(m, n, k, aq, bq, c, rowScales, columnScales, sums);
                    else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
                }
                const double t = (seconds() - start) / reps;
                if (t < best[v]) best[v] = t;
            }
        }
        printf("M=%6d N=%5d K=%5d  GFLOP/s:", shapes[s][0], shapes[s][1], k);
        for (int v = 0; v < 6; v++) best[v] < 1e9 ? printf(" %s %6.1f", names[v], flops / best[v] / 1e9) : printf(" %s -", names[v]);
        printf("\n");
        free(a);
        free(b);
        free(c);
        free(ah);
        free(bh);
        free(aq);
        free(bq);
        free(rowScales);
        free(columnScales);
        free(sums);
    }
}
