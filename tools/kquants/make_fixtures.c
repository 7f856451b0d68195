// Writes the K-quant parity fixture for llm4j-kernels' KQuantTest from llama.cpp's own reference code:
// quantize_row_q4_K_ref / quantize_row_q6_K_ref / quantize_row_q8_K_ref and dequantize_row_* from libggml-base,
// ggml_vec_dot_q4_K_q8_K_generic / ggml_vec_dot_q6_K_q8_K_generic from libggml-cpu. Built and run by run.sh.
//
// Output (little-endian): "KQF1", int32 rows, int32 cols, then
//   float x[rows*cols]            the weights (rows of different character, see fill())
//   float a[cols]                 the activation
//   u8 q4k[rows*cols/256*144]     x as Q4_K                 float q4kDeq[rows*cols]  its dequantization
//   u8 q6k[rows*cols/256*210]     x as Q6_K                 float q6kDeq[rows*cols]
//   u8 q8k[cols/256*292]          a as Q8_K (float d, int8 qs[256], int16 bsums[16])
//   float dot4[rows], dot6[rows]  Q4_K row · Q8_K a, Q6_K row · Q8_K a (the generic C dot products)
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ggml_cpu_init(void); // fills the CPU backend's f16 table that the generic dot products read
void quantize_row_q4_K_ref(const float *x, void *y, int64_t k);
void quantize_row_q6_K_ref(const float *x, void *y, int64_t k);
void quantize_row_q8_K_ref(const float *x, void *y, int64_t k);
void dequantize_row_q4_K(const void *x, float *y, int64_t k);
void dequantize_row_q6_K(const void *x, float *y, int64_t k);
void ggml_vec_dot_q4_K_q8_K_generic(int n, float *s, size_t bs, const void *vx, size_t bx, const void *vy, size_t by, int nrc);
void ggml_vec_dot_q6_K_q8_K_generic(int n, float *s, size_t bs, const void *vx, size_t bx, const void *vy, size_t by, int nrc);

enum { ROWS = 8, COLS = 512, QK = 256, B4 = 144, B6 = 210, B8 = 292 };

static uint64_t state = 0x9E3779B97F4A7C15ull;
static double uniform(void) { // xorshift64*, in [0, 1)
    state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
    return (double) ((state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}
static float gauss(void) { return (float) (sqrt(-2.0 * log(1.0 - uniform())) * cos(6.283185307179586 * uniform())); }

static void fill(int r, float *x) {
    for (int i = 0; i < COLS; i++) {
        switch (r) {
            case 0: x[i] = gauss(); break;                                                  // plain
            case 1: x[i] = 0.02f * gauss() * (uniform() < 0.01 ? 50.f : 1.f); break;         // small, with outliers
            case 2: x[i] = 0.f; break;                                                      // all zero
            case 3: x[i] = 0.5f; break;                                                     // constant
            case 4: x[i] = (float) uniform(); break;                                        // positive only
            case 5: x[i] = -(float) uniform() * 3.f; break;                                 // negative only
            case 6: x[i] = i < 160 ? 0.f : gauss(); break;                                  // zero sub-blocks, then plain
            default: x[i] = 1e-7f * gauss(); break;                                         // tiny
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s OUT\n", argv[0]); return 2; }
    ggml_cpu_init();
    static float x[ROWS * COLS], a[COLS], d4[ROWS * COLS], d6[ROWS * COLS], dot4[ROWS], dot6[ROWS];
    static uint8_t q4[ROWS * COLS / QK * B4], q6[ROWS * COLS / QK * B6], q8[COLS / QK * B8];
    for (int r = 0; r < ROWS; r++) fill(r, x + r * COLS);
    for (int i = 0; i < COLS; i++) a[i] = gauss() * (i % 97 == 0 ? 8.f : 1.f);
    for (int r = 0; r < ROWS; r++) {
        quantize_row_q4_K_ref(x + r * COLS, q4 + r * COLS / QK * B4, COLS);
        quantize_row_q6_K_ref(x + r * COLS, q6 + r * COLS / QK * B6, COLS);
    }
    dequantize_row_q4_K(q4, d4, ROWS * COLS);
    dequantize_row_q6_K(q6, d6, ROWS * COLS);
    quantize_row_q8_K_ref(a, q8, COLS);
    for (int r = 0; r < ROWS; r++) {
        ggml_vec_dot_q4_K_q8_K_generic(COLS, dot4 + r, 0, q4 + r * COLS / QK * B4, 0, q8, 0, 1);
        ggml_vec_dot_q6_K_q8_K_generic(COLS, dot6 + r, 0, q6 + r * COLS / QK * B6, 0, q8, 0, 1);
    }
    FILE *f = fopen(argv[1], "wb");
    if (!f) { perror(argv[1]); return 1; }
    int32_t dims[2] = {ROWS, COLS};
    fwrite("KQF1", 1, 4, f); fwrite(dims, 4, 2, f);
    fwrite(x, 4, ROWS * COLS, f); fwrite(a, 4, COLS, f);
    fwrite(q4, 1, sizeof q4, f); fwrite(d4, 4, ROWS * COLS, f);
    fwrite(q6, 1, sizeof q6, f); fwrite(d6, 4, ROWS * COLS, f);
    fwrite(q8, 1, sizeof q8, f);
    fwrite(dot4, 4, ROWS, f); fwrite(dot6, 4, ROWS, f);
    return fclose(f) == 0 ? 0 : 1;
}
