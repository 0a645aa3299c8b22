import { request } from 'undici';

export interface JsonReply {
  status: number;
  body: any;
}

/** One HTTP call with a JSON body (when given), answering the status and the parsed JSON (undefined when empty). */
export async function callJson(url: string, method: 'GET' | 'PUT' | 'POST', body?: unknown, headers: Record<string, string> = {}): Promise<JsonReply> {
  const response = await request(url, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text === '' ? undefined : JSON.parse(text) };
}
