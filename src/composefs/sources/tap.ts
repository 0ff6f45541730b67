/** Lets a byte stream be observed (hashed, counted) as it flows past, without buffering it. */
export async function* tap(
  input: AsyncIterable<Uint8Array>,
  observe: (chunk: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of input) {
    observe(chunk);
    yield chunk;
  }
}
