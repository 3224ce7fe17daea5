// One client's batch encoder (wasm/bindings.cc over the core's BatchEncoder): what the shipper sends.
import type { BatchSource } from "./shipper.js";
import type { MetricRegistry } from "./registry.js";
import type { WasmCore } from "./wasm-core.js";

export class BatchEncoder implements BatchSource {
  /** The client id: 32 hex digits from the 128 random bits it was made with. */
  readonly id: string;
  readonly #core: WasmCore;
  readonly #registry: MetricRegistry;
  readonly #address: number;

  /** `idWords`: four random unsigned 32-bit words. `skip`: families never shipped. */
  constructor(core: WasmCore, registry: MetricRegistry, maxBatchBytes: number, idWords: Uint32Array, skip: string[]) {
    const wasm = core.exports;
    this.#core = core;
    this.#registry = registry;
    this.#address = wasm.glk_encoder_new(maxBatchBytes, idWords[0]!, idWords[1]!, idWords[2]!, idWords[3]!);
    wasm.glk_encoder_skip(this.#address, core.putStrings(skip));
    this.id = core.string(wasm.glk_encoder_client(this.#address));
  }

  /** The batches of what changed since the previous call (copies). */
  encode(final: boolean, dropped: number): Uint8Array[] {
    const wasm = this.#core.exports;
    const count = wasm.glk_encoder_encode(this.#address, this.#registry.nativeAddress(), final ? 1 : 0, dropped);
    const batches = Array.from({ length: count }, (_, i) => this.#core.bytes(wasm.glk_encoder_batch(this.#address, i)));
    wasm.glk_release();
    return batches;
  }

  skip(names: string[]): void {
    this.#core.exports.glk_encoder_skip(this.#address, this.#core.putStrings(names));
  }

  free(): void {
    this.#core.exports.glk_encoder_free(this.#address);
  }
}
