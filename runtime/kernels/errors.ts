/**
 * A generated kernel that cannot run here (no adapter or device, missing feature, wrong input sizes, a
 * failed launch): the message names the variant and the problem. Kept free of tfjs so that CUDA tooling can
 * bundle runtime/kernels without the tensor library.
 */
export class KernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelError';
  }
}
