/*
 * Node-API addon that runs generated CUDA kernels from Node: it opens a shared library built from
 * the generated .cu files, looks up an op's extern "C" entry point and its workspace function, copies
 * typed arrays to the device, poisons outputs and workspace with NaN bytes, calls the op on a stream, times it
 * with CUDA events, and copies the outputs back. Host-side wrapper: runtime/kernels/cuda-addon.ts.
 *
 * Build (on a machine with CUDA and Node's headers):
 *   gcc -O2 -shared -fPIC -I"$NODE_INCLUDE/node" -I/usr/local/cuda/include runtime/kernels/cuda/addon.c \
 *       -o mohawk_cuda.node -L/usr/local/cuda/lib64 -lcudart -ldl
 */
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>

#define MAX_PTRS 24

typedef size_t (*workspace_fn)(int, int);

static napi_value throw_error(napi_env env, const char* msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

#define CHECK_NAPI(call)                                                    \
  do {                                                                      \
    if ((call) != napi_ok) return throw_error(env, "mohawk_cuda: " #call); \
  } while (0)

/* open(path) -> external handle of the kernels library */
static napi_value lib_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t len;
  CHECK_NAPI(napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len));
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    char msg[4600];
    snprintf(msg, sizeof msg, "mohawk_cuda: cannot open %s: %s", path, dlerror());
    return throw_error(env, msg);
  }
  napi_value out;
  CHECK_NAPI(napi_create_external(env, h, NULL, NULL, &out));
  return out;
}

/* Calls fn(batch, seqLen, p[0..n-1], stream): every op entry point is (int, int, pointers..., stream). */
static int invoke(void* fn, int batch, int seq, void** p, int n, cudaStream_t s) {
#define V void*
  switch (n) {
    case 6: { typedef int (*f)(int, int, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], s); }
    case 7: { typedef int (*f)(int, int, V, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], p[6], s); }
    case 8: { typedef int (*f)(int, int, V, V, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], s); }
    case 9: { typedef int (*f)(int, int, V, V, V, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], s); }
    case 10: { typedef int (*f)(int, int, V, V, V, V, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], s); }
    case 11: { typedef int (*f)(int, int, V, V, V, V, V, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], s); }
    case 12: { typedef int (*f)(int, int, V, V, V, V, V, V, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], s); }
    case 13: { typedef int (*f)(int, int, V, V, V, V, V, V, V, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], s); }
    case 14: { typedef int (*f)(int, int, V, V, V, V, V, V, V, V, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], s); }
    case 15: { typedef int (*f)(int, int, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], s); }
    case 16: { typedef int (*f)(int, int, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, V, cudaStream_t); return ((f)fn)(batch, seq, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15], s); }
    default:
      return -1;
  }
#undef V
}

/*
 * call(lib, symbol, batch, seqLen, nInputs, arrays, repeats) -> { rc, ms }
 * arrays: inputs (TypedArray or null for an absent optional input) then outputs (TypedArrays, overwritten).
 * ms: mean device time of one call over `repeats` calls (events around the loop).
 */
static napi_value lib_call(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) return throw_error(env, "mohawk_cuda.call(lib, symbol, batch, seqLen, nInputs, arrays[, repeats])");
  void* lib;
  CHECK_NAPI(napi_get_value_external(env, argv[0], &lib));
  char sym[512], wsym[600];
  size_t len;
  CHECK_NAPI(napi_get_value_string_utf8(env, argv[1], sym, sizeof sym, &len));
  int batch, seq, nin, repeats = 1;
  CHECK_NAPI(napi_get_value_int32(env, argv[2], &batch));
  CHECK_NAPI(napi_get_value_int32(env, argv[3], &seq));
  CHECK_NAPI(napi_get_value_int32(env, argv[4], &nin));
  if (argc > 6) CHECK_NAPI(napi_get_value_int32(env, argv[6], &repeats));
  uint32_t n;
  CHECK_NAPI(napi_get_array_length(env, argv[5], &n));
  if (n + 1 > MAX_PTRS - 1) return throw_error(env, "mohawk_cuda: too many arrays");
  void* fn = dlsym(lib, sym);
  snprintf(wsym, sizeof wsym, "%s_workspace", sym);
  workspace_fn wfn = (workspace_fn)dlsym(lib, wsym);
  if (!fn || !wfn) {
    char msg[1300];
    snprintf(msg, sizeof msg, "mohawk_cuda: entry point %s or %s not found in the kernels library", sym, wsym);
    return throw_error(env, msg);
  }
  void* dev[MAX_PTRS] = {0};
  void* host[MAX_PTRS] = {0};
  size_t bytes[MAX_PTRS] = {0};
  int rc = 0;
  for (uint32_t i = 0; i < n && rc == 0; i++) {
    napi_value el;
    CHECK_NAPI(napi_get_element(env, argv[5], i, &el));
    napi_valuetype t;
    CHECK_NAPI(napi_typeof(env, el, &t));
    if (t == napi_null || t == napi_undefined) continue;
    napi_typedarray_type tt;
    size_t count, off;
    napi_value ab;
    void* data;
    CHECK_NAPI(napi_get_typedarray_info(env, el, &tt, &count, &data, &ab, &off));
    const size_t elt = (tt == napi_float32_array) ? 4 : (tt == napi_uint16_array ? 2 : 0);
    if (!elt) return throw_error(env, "mohawk_cuda: arrays must be Float32Array or Uint16Array");
    host[i] = data;
    bytes[i] = count * elt;
    rc = (int)cudaMalloc(&dev[i], bytes[i] ? bytes[i] : 4);
    if (rc == 0) rc = (int)(i < (uint32_t)nin ? cudaMemcpy(dev[i], data, bytes[i], cudaMemcpyHostToDevice) : cudaMemset(dev[i], 0xff, bytes[i]));
  }
  const size_t wbytes = wfn(batch, seq);
  void* ws = NULL;
  if (rc == 0) rc = (int)cudaMalloc(&ws, wbytes ? wbytes : 4);
  if (rc == 0) rc = (int)cudaMemset(ws, 0xff, wbytes ? wbytes : 4);
  float ms = 0.0f;
  if (rc == 0) {
    dev[n] = ws;
    cudaStream_t s;
    cudaEvent_t e0, e1;
    cudaStreamCreate(&s);
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    cudaEventRecord(e0, s);
    for (int r = 0; r < repeats && rc == 0; r++) rc = invoke(fn, batch, seq, dev, (int)n + 1, s);
    cudaEventRecord(e1, s);
    const cudaError_t sync = cudaStreamSynchronize(s);
    if (rc == 0) rc = (int)sync;
    cudaEventElapsedTime(&ms, e0, e1);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    cudaStreamDestroy(s);
    for (uint32_t i = (uint32_t)nin; i < n && rc == 0; i++)
      if (dev[i]) rc = (int)cudaMemcpy(host[i], dev[i], bytes[i], cudaMemcpyDeviceToHost);
  }
  for (uint32_t i = 0; i < n; i++)
    if (dev[i]) cudaFree(dev[i]);
  if (ws) cudaFree(ws);
  napi_value out, v;
  CHECK_NAPI(napi_create_object(env, &out));
  CHECK_NAPI(napi_create_int32(env, rc, &v));
  CHECK_NAPI(napi_set_named_property(env, out, "rc", v));
  CHECK_NAPI(napi_create_double(env, repeats > 0 ? ms / repeats : 0.0, &v));
  CHECK_NAPI(napi_set_named_property(env, out, "ms", v));
  CHECK_NAPI(napi_create_string_utf8(env, rc == 0 ? "ok" : (rc > 0 ? cudaGetErrorString((cudaError_t)rc) : "bad arity"), NAPI_AUTO_LENGTH, &v));
  CHECK_NAPI(napi_set_named_property(env, out, "message", v));
  return out;
}

/* device() -> name of device 0, or throws when there is none */
static napi_value device_name(napi_env env, napi_callback_info info) {
  (void)info;
  struct cudaDeviceProp prop;
  const cudaError_t e = cudaGetDeviceProperties(&prop, 0);
  if (e != cudaSuccess) return throw_error(env, cudaGetErrorString(e));
  napi_value v;
  CHECK_NAPI(napi_create_string_utf8(env, prop.name, NAPI_AUTO_LENGTH, &v));
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, lib_open, NULL, NULL, NULL, napi_default, NULL},
      {"call", NULL, lib_call, NULL, NULL, NULL, napi_default, NULL},
      {"device", NULL, device_name, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK_NAPI(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
