// The one HTTP call every integration makes (Prometheus, GitHub, coverage reports, webhooks, Slack):
// the body read as text and every status handed back, so each caller judges the answer itself and
// nothing is half-parsed or followed silently. A network failure or timeout throws (see errors.ts).
import axios from 'axios';

export interface RawResponse {
  status: number;
  text: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
}

export interface RawRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Redirects are refused unless asked for: a redirect could carry credentials elsewhere. */
  followRedirects?: boolean;
}

export async function httpRequest(request: RawRequest): Promise<RawResponse> {
  const response = await axios.request<string>({
    method: request.method,
    url: request.url,
    headers: request.headers,
    params: request.params,
    data: request.body,
    timeout: request.timeoutMs,
    responseType: 'text',
    transformResponse: (data: unknown) => data,
    validateStatus: () => true,
    maxRedirects: request.followRedirects ? 5 : 0,
  });
  return {
    status: response.status,
    text: typeof response.data === 'string' ? response.data : String(response.data),
    headers: Object.fromEntries(
      Object.entries(response.headers).map(([k, v]) => [k.toLowerCase(), typeof v === 'string' ? v : undefined]),
    ),
  };
}
