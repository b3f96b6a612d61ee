/**
 * Named float32 tensors laid out back to back in one SharedArrayBuffer, so threads exchange parameters and
 * gradients by copying into and out of views instead of posting messages. A slot is a tensor's place:
 * offset and size in floats. Regions repeat the layout (one per worker for gradients).
 */
export interface Slot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface SharedLayout {
  slots: Slot[];
  /** Floats in one region. */
  floats: number;
}

export function layoutOf(tensors: Iterable<[string, readonly number[]]>): SharedLayout {
  const slots: Slot[] = [];
  let offset = 0;
  for (const [name, shape] of tensors) {
    const size = shape.reduce((a, b) => a * b, 1);
    slots.push({ name, shape: [...shape], offset, size });
    offset += size;
  }
  return { slots, floats: offset };
}

/** `regions` copies of `layout`, plus `extra` floats per region (e.g. a loss). */
export function sharedRegions(layout: SharedLayout, regions: number, extra = 0): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * regions * (layout.floats + extra));
}

export function regionView(buffer: SharedArrayBuffer, layout: SharedLayout, region: number, extra = 0): Float32Array {
  const floats = layout.floats + extra;
  return new Float32Array(buffer, 4 * region * floats, floats);
}
