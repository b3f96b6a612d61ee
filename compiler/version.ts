/** The compiler version written into every generated banner and manifest. Bump on any change to emitted code. */
export const COMPILER_VERSION = '0.1.0';
