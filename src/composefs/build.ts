/**
 * A dumpfile stream straight into the Wasm image builder (spec composefs-image.md §3 → §2). The
 * TypeScript parser loads only when Wasm refuses the dumpfile, to word the error; so the CLI's
 * `mkcomposefs --from-file` loads no parser, writer or hasher module of its own.
 */
import { buildWasmImage, WasmDumpRejected, type WasmImage, type WasmImageOptions } from '../wasm/composefs.js';

export interface DumpStreamOptions extends WasmImageOptions {
  /** The dumpfile's name in error messages. */
  file?: string;
  /**
   * Reads the same dumpfile again, used only to word the error of a refused dumpfile. Without it
   * the stream's chunks are kept until the build ends.
   */
  reread?: () => AsyncIterable<Uint8Array>;
}

export async function buildDumpStream(source: AsyncIterable<Uint8Array>, opts: DumpStreamOptions): Promise<WasmImage> {
  const kept: Uint8Array[] | null = opts.reread ? null : [];
  try {
    return await buildWasmImage(kept ? keeping(source, kept) : source, opts);
  } catch (e) {
    if (!(e instanceof WasmDumpRejected)) throw e;
    const { parseDumpStream } = await import('./dumpfile/parse.js');
    await parseDumpStream(kept ? replay(kept) : opts.reread!(), { strict: opts.strict, file: opts.file });
    throw parsersDisagree(e, opts.file);
  }
}

/** The chunks of `source`, each also copied into `kept` (a reader may reuse its buffer). */
async function* keeping(source: AsyncIterable<Uint8Array>, kept: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    kept.push(chunk.slice());
    yield chunk;
  }
}

async function* replay(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

/** The Wasm parser refused a dumpfile the TypeScript parser accepts: a bug in one of them. */
export function parsersDisagree(e: WasmDumpRejected, file: string | undefined): Error {
  return new Error(`internal error: the Wasm dumpfile parser refused line ${e.line} of ${file ?? 'the dumpfile'}, which the reference parser accepts`, { cause: e });
}
