import * as Comlink from 'comlink';

/** A Worker stand-in for bridge tests: one end of a MessageChannel, the other end exposes `api` through comlink. */
export class FakeWorker extends EventTarget {
  terminated = false;
  private readonly port: MessagePort;
  constructor(api: object) {
    super();
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(api, port2);
    this.port = port1;
    port1.addEventListener('message', (ev) => this.dispatchEvent(new MessageEvent('message', { data: (ev as MessageEvent).data })));
    port1.start();
  }
  postMessage(data: unknown, transfer?: Transferable[]) {
    if (!this.terminated) this.port.postMessage(data, transfer ?? []);
  }
  terminate() {
    this.terminated = true;
    this.port.close();
  }
}
