// One client's batch encoder (wasm/bindings.cc over the core's BatchEncoder): what the shipper sends.
// Closures over the encoder's address rather than a class: they minify to less.
import type { BatchSource } from "./shipper.js";
import type { MetricRegistry } from "./registry.js";
import type { WasmCore } from "./wasm-core.js";

/**
 * A new encoder over `registry`. `idWords`: four random unsigned 32-bit words, whose 128 bits make the
 * client id (32 hex digits). `skip`: families never shipped.
 */
export function batchEncoder(
  core: WasmCore,
  registry: MetricRegistry,
  maxBatchBytes: number,
  idWords: Uint32Array,
  skip: string[],
): BatchSource {
  const wasm = core.wasm;
  const address = wasm.glk_encoder_new(maxBatchBytes, ...(idWords as unknown as [number, number, number, number]));
  const skipNames = (names: string[]) => wasm.glk_encoder_skip(address, core.putStrings(names));
  skipNames(skip);
  return {
    id: core.string(wasm.glk_encoder_client(address)),
    encode(final, dropped) {
      const count = wasm.glk_encoder_encode(address, registry.nativeAddress(), final ? 1 : 0, dropped);
      const batches = Array.from({ length: count }, (_, i) => core.bytes(wasm.glk_encoder_batch(address, i)));
      wasm.glk_release();
      return batches;
    },
    skip: skipNames,
    free: () => wasm.glk_encoder_free(address),
  };
}
