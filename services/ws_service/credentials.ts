/** Whether ws_service may connect without credentials: only to a simulator (loopback or opted in). */

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/;

/** True when `wsUrl` points at this machine (the simulator) or unsigned access was asked for. */
export function unsignedAllowed(wsUrl: URL, allowUnsigned: boolean | undefined): boolean {
  return allowUnsigned === true || LOOPBACK.test(wsUrl.hostname);
}
