// HTTP to the front-desk PC. Every failure becomes an ApiError (the server answered; its JSON
// error body says why, in Chinese) or a NetworkError (no answer: offline, Wi-Fi, PC asleep).

export class ApiError extends Error {
  constructor(status, body, headers) {
    const e = (body && body.error) || {};
    super(e.message || `服务器返回错误（${status}）`);
    this.status = status;
    this.code = e.code || "http_error";
    this.field = e.field || null;
    this.reload = Boolean(body && body.reload);
    const retry = Number((body && body.retry_after_seconds) || headers?.get("Retry-After"));
    this.retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super("无法连接前台电脑，请检查 Wi-Fi");
    this.cause = cause;
  }
}

const TIMEOUT_MS = 20000;

/** A small client of this page's own server; ``getToken`` gives the bearer token or null. */
export function makeApi(getToken, { base = "", fetchImpl = (...a) => fetch(...a) } = {}) {
  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetchImpl(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        signal: abort.signal,
      });
    } catch (error) {
      throw new NetworkError(error);
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      if (response.ok) throw new NetworkError(new Error("answer cut short"));
    }
    if (!response.ok) throw new ApiError(response.status, data, response.headers);
    return data;
  }
  return {
    get: (path) => call("GET", path),
    post: (path, body = {}) => call("POST", path, body),
    del: (path) => call("DELETE", path),
  };
}
