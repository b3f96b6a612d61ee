/**
 * The data files mohawk knows how to fetch, from their public origins, with the sizes and sha256 values of
 * ../shared/data/README.md (which documents provenance and licences). Paths are relative to the data
 * directory; a mirror (`--base-url`) serves the same relative paths.
 */
export interface DataFile {
  /** Path relative to the data directory. */
  name: string;
  url: string;
  bytes: number;
  sha256: string;
  what: string;
}

export const DATA_FILES: readonly DataFile[] = [
  {
    name: 'stories260K/stories260K.bin',
    url: 'https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin',
    bytes: 1_056_540,
    sha256: 'b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696',
    what: 'stories260K teacher (llama2.c checkpoint, MIT)',
  },
  {
    name: 'stories260K/tok512.bin',
    url: 'https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin',
    bytes: 6_227,
    sha256: '037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312',
    what: 'its 512-token tokenizer (llama2.c tokenizer.bin, MIT)',
  },
  {
    name: 'tinystories/train.txt',
    url: 'https://raw.githubusercontent.com/s-ajaykumar/smallGPT/b8b899265a5574abd2c19d8857039309184a357c/data/tiny_stories.txt',
    bytes: 944_426,
    sha256: 'c56cfd24fb1c542b141a396184b822a4db3672abdb4c49c6aa843171c5e822a5',
    what: 'TinyStories train split, first ~944 KB (CDLA-Sharing-1.0)',
  },
  {
    name: 'tinystories/valid.txt',
    url: 'https://raw.githubusercontent.com/yuninxia/moe-routing-bench/6877be50c1c389c73047d7f27104bee6a995efd6/data/tinystories_val.txt',
    bytes: 794_375,
    sha256: '5fc1fb0113df62b567fb271806cd645ce8d75f59c58ca0b764c03d3b6ff34ca6',
    what: 'TinyStories validation split, first ~794 KB (CDLA-Sharing-1.0)',
  },
  {
    name: 'tinyshakespeare/input.txt',
    url: 'https://raw.githubusercontent.com/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt',
    bytes: 1_115_394,
    sha256: '86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed',
    what: 'Tiny Shakespeare (public-domain plays; char-rnn, MIT)',
  },
];
