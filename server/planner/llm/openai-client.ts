// A minimal client for OpenAI-compatible chat-completions endpoints (OpenAI, Azure-style proxies, vLLM, Ollama,
// llama.cpp, LM Studio, ...): one streamed completion with a JSON response format, a time limit, no retries.
// Error messages carry the status and the start of the body, never the API key.
import { ParleyError } from '../../errors.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface OpenAIClientConfig {
  /** e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`; `/chat/completions` is appended */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** the limit for one whole completion, streaming included */
  timeoutMs: number;
}

export interface CompleteOptions {
  messages: readonly ChatMessage[];
  /** a JSON Schema for the answer; sent as `response_format: json_schema` (or `json_object` where unsupported) */
  schema?: Record<string, unknown>;
  schemaName?: string;
  signal?: AbortSignal;
  /** every piece of content as it streams in */
  onContent?: (delta: string) => void;
}

export type LlmErrorKind = 'http' | 'timeout' | 'network' | 'protocol';

/** The language model service failed; the planner falls back, so it reaches no surface but as a server failure. */
export class LlmError extends ParleyError {
  override name = 'LlmError';
  constructor(
    message: string,
    readonly kind: LlmErrorKind,
    /** the service's own HTTP status, when it answered one */
    readonly upstreamStatus?: number,
  ) {
    super(500, 'llm_failed', message);
  }
}

const BODY_PREVIEW = 200;

type FetchLike = typeof fetch;

export class OpenAIClient {
  private readonly fetchImpl: FetchLike;
  /** set once the server has refused `json_schema`: later calls go straight to `json_object` */
  private jsonSchemaUnsupported = false;

  constructor(
    private readonly config: OpenAIClientConfig,
    fetchImpl?: FetchLike,
  ) {
    this.fetchImpl = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  }

  get endpoint(): string {
    return `${this.config.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  /** One streamed completion; resolves with the whole content. Throws LlmError, or the caller's abort reason. */
  async complete(options: CompleteOptions): Promise<string> {
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      let format = options.schema && !this.jsonSchemaUnsupported ? 'json_schema' : 'json_object';
      let response = await this.post(options, format, signal);
      if ((response.status === 400 || response.status === 422) && format === 'json_schema') {
        const body = await readText(response);
        if (!/response_format|json_schema/i.test(body)) throw this.httpError(response.status, body);
        this.jsonSchemaUnsupported = true;
        format = 'json_object';
        response = await this.post(options, format, signal);
      }
      if (!response.ok) throw this.httpError(response.status, await readText(response));
      const type = response.headers.get('content-type') ?? '';
      // a server that ignores `stream: true` answers with one JSON completion
      if (!type.includes('text/event-stream')) return this.readWhole(response, options.onContent);
      return await this.readStream(response, options.onContent);
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason ?? err;
      if (timeout.aborted) {
        throw new LlmError(`the language model did not answer within ${this.config.timeoutMs} ms`, 'timeout');
      }
      if (err instanceof LlmError) throw err;
      const cause = (err as { cause?: { message?: string; code?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
      throw new LlmError(
        `cannot reach the language model at ${this.safeUrl()}: ${this.redact(detail)}`,
        'network',
      );
    }
  }

  private post(options: CompleteOptions, format: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'text/event-stream',
    };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    const response_format =
      format === 'json_schema' && options.schema
        ? {
            type: 'json_schema',
            json_schema: { name: options.schemaName ?? 'response', strict: false, schema: options.schema },
          }
        : { type: 'json_object' };
    return this.fetchImpl(this.endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: this.config.model,
        messages: options.messages,
        response_format,
        stream: true,
      }),
      signal,
    });
  }

  private async readWhole(response: Response, onContent?: (delta: string) => void): Promise<string> {
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new LlmError(
        `the language model sent neither an event stream nor JSON: ${this.preview(text)}`,
        'protocol',
      );
    }
    const content = (body as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message
      ?.content;
    if (typeof content !== 'string') {
      throw new LlmError(
        `the language model's answer has no message content: ${this.preview(text)}`,
        'protocol',
      );
    }
    if (content !== '') onContent?.(content);
    return content;
  }

  private async readStream(response: Response, onContent?: (delta: string) => void): Promise<string> {
    if (!response.body) throw new LlmError('the language model sent an empty stream', 'protocol');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let content = '';
    let done = false;
    const handleLine = (raw: string): void => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (!line.startsWith('data:')) return; // comments, event:, id:, blank separators
      const data = line.slice(5).trim();
      if (data === '') return;
      if (data === '[DONE]') {
        done = true;
        return;
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch {
        throw new LlmError(
          `the language model sent a malformed stream event: ${this.preview(data)}`,
          'protocol',
        );
      }
      const error = (chunk as { error?: { message?: unknown } | string }).error;
      if (error !== undefined) {
        const message = typeof error === 'string' ? error : String(error?.message ?? JSON.stringify(error));
        throw new LlmError(`the language model reported an error: ${this.preview(message)}`, 'http');
      }
      const delta = (chunk as { choices?: Array<{ delta?: { content?: unknown } }> }).choices?.[0]?.delta
        ?.content;
      if (typeof delta === 'string' && delta !== '') {
        content += delta;
        onContent?.(delta);
      }
    };
    try {
      while (!done) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        buffer += decoder.decode(value, { stream: true });
        let newline = buffer.indexOf('\n');
        while (newline >= 0 && !done) {
          handleLine(buffer.slice(0, newline));
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
        }
      }
      if (!done) {
        buffer += decoder.decode();
        if (buffer !== '') handleLine(buffer);
      }
    } finally {
      // after [DONE] or an error, stop reading: the connection is not needed any more
      await reader.cancel().catch(() => undefined);
    }
    return content;
  }

  private httpError(status: number, body: string): LlmError {
    const preview = this.preview(body);
    return new LlmError(
      `the language model answered HTTP ${status}${preview === '' ? '' : `: ${preview}`}`,
      'http',
      status,
    );
  }

  /** The first 200 characters of a text, on one line, with the API key blanked out. */
  private preview(text: string): string {
    return this.redact(text).replace(/\s+/g, ' ').trim().slice(0, BODY_PREVIEW);
  }

  private redact(text: string): string {
    const key = this.config.apiKey;
    let out = key ? text.split(key).join('***') : text;
    // a key a server echoes partly (sk-abc...xyz) is blanked by its longer fragments too
    if (key && key.length >= 12) {
      for (const part of [key.slice(0, 8), key.slice(-6)]) out = out.split(part).join('***');
    }
    return out;
  }

  private safeUrl(): string {
    return this.endpoint.replace(/\/\/[^/@]*@/, '//***@');
  }
}

async function readText(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return '';
  }
}
