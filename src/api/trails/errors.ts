/** The webrpc errors Junction answers with, name → code and HTTP status. */
export const webrpcErrors = {
  WebrpcBadRoute: { code: -2, status: 404 },
  WebrpcBadMethod: { code: -3, status: 405 },
  WebrpcBadRequest: { code: -4, status: 400 },
  WebrpcInternalError: { code: -7, status: 500 },
  Unauthorized: { code: 1000, status: 401 },
  RateLimited: { code: 1007, status: 429 },
  Timeout: { code: 1900, status: 408 },
  InvalidArgument: { code: 2000, status: 400 },
  Unexpected: { code: 2001, status: 500 },
  Unavailable: { code: 2002, status: 400 },
  IntentStatus: { code: 2004, status: 422 },
  QuoteExpired: { code: 7001, status: 400 },
  NotFound: { code: 8000, status: 400 },
  UnsupportedNetwork: { code: 8008, status: 422 },
} as const;

export type WebrpcErrorName = keyof typeof webrpcErrors;

export class WebrpcError extends Error {
  constructor(
    readonly errorName: WebrpcErrorName,
    message: string,
    readonly causeText?: string,
  ) {
    super(message);
    this.name = "WebrpcError";
  }

  get status(): number {
    return webrpcErrors[this.errorName].status;
  }

  /** The wire body; `msg` is webrpc's field, `message` the one the 0.9.4 client reads. */
  toBody() {
    const { code, status } = webrpcErrors[this.errorName];
    return {
      error: this.errorName,
      code,
      msg: this.message,
      message: this.message,
      ...(this.causeText ? { cause: this.causeText } : {}),
      status,
    };
  }
}
