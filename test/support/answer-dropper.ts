import net, { type AddressInfo } from 'node:net';

export interface Relay {
  readonly url: string;
  /** From now on, cut the next answer. */
  arm(): void;
  dropped(): number;
  close(): Promise<void>;
}

/**
 * A TCP relay to `port` that, once armed, cuts a connection at the first bytes the node sends
 * more than 200 ms after the client last sent anything: the answer to a slow request (an RSA
 * key generation), which reached the node, never reaches the client. Quick answers (handshake,
 * session tickets, reads) pass.
 */
export async function answerDropper(port: number): Promise<Relay> {
  let dropped = 0;
  let armed = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let clientSentAt = Date.now();
    client.on('data', (chunk) => {
      clientSentAt = Date.now();
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (armed && Date.now() - clientSentAt > 200) {
        armed = false;
        dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arm: () => {
      armed = true;
    },
    dropped: () => dropped,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
