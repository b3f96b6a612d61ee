/*
 * A timing driver around llama2.c's run.c (included verbatim; its main() renamed away at compile time), so the
 * speed anchor runs run.c's own forward() token by token, measured the way bench/decode/sweep.ts measures the
 * TypeScript models: greedy from BOS, one forward per position, the median ns of the steps at positions
 * (L/2, L] for L = 64, 128, …, max, and the resident set size.
 *
 * The one departure from run.c's own driver: the KV cache is sized for `max` positions instead of the
 * checkpoint header's seq_len (512 for stories260K), so contexts past 512 can be timed. seq_len only sizes the
 * caches here (the legacy RoPE tables it skips lie after every weight a shared-classifier model reads).
 *
 *   gcc -O3 -o runc-harness runc-harness.c -lm  (with run.c in the include path)
 *   runc-harness CHECKPOINT MAX          → one JSON line per context length
 */
#define main runc_main
#include "run.c"
#undef main
#include <unistd.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Resident set size now (not the peak: the peak of a process that callocs its whole cache up front says little). */
static double rss_mib(void) {
    long pages = 0, resident = 0;
    FILE* f = fopen("/proc/self/statm", "r");
    if (f) { if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0; fclose(f); }
    return resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static int cmp_double(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s CHECKPOINT MAX\n", argv[0]); return 2; }
    int max = atoi(argv[2]);
    Transformer t;
    read_checkpoint(argv[1], &t.config, &t.weights, &t.fd, &t.data, &t.file_size);
    if (max > t.config.seq_len) t.config.seq_len = max;
    malloc_run_state(&t.state, &t.config);
    double* ns = calloc(max + 1, sizeof(double));
    double* window = calloc(max + 1, sizeof(double));
    int token = 1;
    for (int warm = 0; warm < 128 && warm < max; warm++) token = sample_argmax(forward(&t, token, warm), t.config.vocab_size);
    token = 1;
    int mark = 64;
    for (int pos = 0; pos < max; pos++) {
        double t0 = now_ns();
        float* logits = forward(&t, token, pos);
        token = sample_argmax(logits, t.config.vocab_size);
        ns[pos + 1] = now_ns() - t0;
        if (pos + 1 == mark) {
            int n = mark / 2;
            memcpy(window, ns + mark / 2 + 1, n * sizeof(double));
            qsort(window, n, sizeof(double), cmp_double);
            double mean = 0;
            for (int i = 0; i < n; i++) mean += window[i] / n;
            printf("{\"model\":\"run.c\",\"context\":%d,\"msPerToken\":%.6f,\"meanMs\":%.6f,\"tokensPerS\":%.3f,\"rssMiB\":%.3f,\"stateBytes\":%ld}\n",
                   mark, window[n / 2] / 1e6, mean / 1e6, 1e9 / window[n / 2], rss_mib(),
                   (long)2 * t.config.n_layers * (pos + 1) * (t.config.dim * t.config.n_kv_heads / t.config.n_heads) * (long)sizeof(float));
            fflush(stdout);
            mark *= 2;
        }
    }
    free(ns);
    free(window);
    free_transformer(&t);
    return 0;
}
