// OpenBLAS cblas_sgemm at the shapes KernelBench measures: the reference figure for llm4j's Java matmul.
//
// Build: gcc -O2 sgemm_bench.c -o sgemm_bench -lopenblas   (Debian: libopenblas-dev; header in
// /usr/include/x86_64-linux-gnu, or add -I/usr/include/openblas on other layouts)
// Usage: ./sgemm_bench [--threads T] [--reps 9] [--warmup-ms 300] [--ops NN,NT,TN]
//                      [--shapes 256x768x2304,...] [--csv]
// Shapes are MxKxN; ops follow llm4j's Kernels: NN C=A·B, NT C=A·Bᵀ (B stored (N,K)),
// TN C=Aᵀ·B (A stored (K,M)). All row-major, C overwritten (beta = 0), like accumulate=false.
// --csv prints "openblas,OP,M,K,N,THREADS,GFLOPS" lines for run.sh.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void cpu_model(char *out, size_t len) {
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ' || *p == '\t') p++;
                p[strcspn(p, "\n")] = 0;
                snprintf(out, len, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

// One call of the op on (M,K,N), C (M,N) overwritten.
static void gemm(const char *op, int m, int k, int n, const float *a, const float *b, float *c) {
    if (strcmp(op, "NN") == 0)        // A (M,K), B (K,N)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
    else if (strcmp(op, "NT") == 0)   // A (M,K), B (N,K)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
    else                              // TN: A (K,M), B (K,N)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, 1.0f, a, m, b, n, 0.0f, c, n);
}

int main(int argc, char **argv) {
    int threads = 0, reps = 9, warmup_ms = 300, csv = 0;
    const char *ops = "NN,NT,TN";
    const char *shapes = "256x768x2304,256x768x768,256x768x3072,256x3072x768,768x3072x768";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup-ms") && i + 1 < argc) warmup_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ops") && i + 1 < argc) ops = argv[++i];
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc) shapes = argv[++i];
        else if (!strcmp(argv[i], "--csv")) csv = 1;
        else {
            fprintf(stderr, "usage: %s [--threads T] [--reps 9] [--warmup-ms 300] [--ops NN,NT,TN] [--shapes MxKxN,...] [--csv]\n", argv[0]);
            return 2;
        }
    }
    if (reps < 1) reps = 1;
    if (threads > 0) openblas_set_num_threads(threads);
    threads = openblas_get_num_threads();

    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    const char *pre = csv ? "# " : "";
    printf("%smachine: cpu: %s, openblas: %s (core %s), threads: %d\n", pre, cpu, openblas_get_config(),
           openblas_get_corename(), threads);
    if (!csv) printf("%-9s %5s %5s %5s %7s %10s %10s %9s\n", "op", "M", "K", "N", "threads", "median ms", "min ms", "GFLOP/s");

    char shape_buf[1024];
    snprintf(shape_buf, sizeof shape_buf, "%s", shapes);
    double *ms = malloc(sizeof(double) * reps);
    for (char *save1 = NULL, *s = strtok_r(shape_buf, ",", &save1); s; s = strtok_r(NULL, ",", &save1)) {
        int m, k, n;
        if (sscanf(s, "%dx%dx%d", &m, &k, &n) != 3) {
            fprintf(stderr, "shape must be MxKxN, got %s\n", s);
            return 2;
        }
        float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)k * n);
        float *c = malloc(sizeof(float) * (size_t)m * n);
        srand(1);
        for (size_t i = 0; i < (size_t)m * k; i++) a[i] = rand() / (float)RAND_MAX - 0.5f;
        for (size_t i = 0; i < (size_t)k * n; i++) b[i] = rand() / (float)RAND_MAX - 0.5f;
        char op_buf[64];
        snprintf(op_buf, sizeof op_buf, "%s", ops);
        for (char *save2 = NULL, *op = strtok_r(op_buf, ",", &save2); op; op = strtok_r(NULL, ",", &save2)) {
            double warm_end = now_ms() + warmup_ms;
            for (int w = 0; w < 3 || now_ms() < warm_end; w++) gemm(op, m, k, n, a, b, c);
            for (int r = 0; r < reps; r++) {
                double t0 = now_ms();
                gemm(op, m, k, n, a, b, c);
                ms[r] = now_ms() - t0;
            }
            qsort(ms, reps, sizeof(double), cmp_double);
            double median = reps % 2 ? ms[reps / 2] : 0.5 * (ms[reps / 2 - 1] + ms[reps / 2]);
            double gflops = 2.0 * m * k * n / (median * 1e6);
            if (csv) printf("openblas,%s,%d,%d,%d,%d,%.2f\n", op, m, k, n, threads, gflops);
            else printf("sgemm%-4s %5d %5d %5d %7d %10.3f %10.3f %9.2f\n", op, m, k, n, threads, median, ms[0], gflops);
            fflush(stdout);
        }
        free(a);
        free(b);
        free(c);
    }
    free(ms);
    return 0;
}
