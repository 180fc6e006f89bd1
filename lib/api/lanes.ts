/**
 * One request of a connection at a time. node:http emits 'request' for every pipelined request it
 * has parsed, all at once, and keeps every answer in memory until the ones before it are sent: 300
 * pipelined 1024 px tiles on one socket were 300 renders at once and 300 encoded tiles held, whether
 * or not the client read them (a worker went from 65 MB to 3 GB). Here the next request of a
 * connection starts only once the previous answer has been handed to the kernel ('finish'), and
 * the socket is not read while requests wait, so a client that never reads costs one answer, and a
 * client that pipelines costs no more than one that waits for each answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * node:http's own pause flag (parserOnIncoming sets it when answers back up). While it is set,
 * node:http leaves the socket paused where it would otherwise resume it (dumping a finished request,
 * a 'resume' event) and pauses its parser after the chunk at hand; a plain socket.pause() would be
 * undone after every answer, and a client that pipelines without end would be read without end.
 */
type HttpSocket = Socket & { _paused?: boolean; parser?: { pause(): void; resume(): void } | null };

interface Lane {
  busy: boolean;
  /** Requests parsed while one was being answered, in arrival order. */
  waiting: (() => void)[];
}

/** Stop reading; node:http pauses its parser itself once the chunk at hand is parsed (never from inside it). */
function hold(socket: HttpSocket): void {
  socket._paused = true;
  socket.pause();
}

function release(socket: HttpSocket): void {
  socket._paused = false;
  socket.parser?.resume();
  socket.resume();
}

export function oneAtATime(handler: Handler): (req: IncomingMessage, res: ServerResponse) => void {
  const lanes = new WeakMap<Socket, Lane>();
  const laneOf = (socket: HttpSocket): Lane => {
    let lane = lanes.get(socket);
    if (!lane) {
      lanes.set(socket, (lane = { busy: false, waiting: [] }));
      // node:http resumes a socket whose answers have drained; not while requests wait here.
      socket.on('resume', () => {
        if (!lane!.waiting.length || socket.destroyed) return;
        hold(socket);
        socket.parser?.pause();
      });
    }
    return lane;
  };
  return (req, res) => {
    const socket = req.socket as HttpSocket;
    const lane = laneOf(socket);
    const run = (): void => {
      lane.busy = true;
      let done = false;
      const next = () => {
        if (done) return;
        done = true;
        lane.busy = false;
        // A request whose connection is gone is never started (node:http has already given up on it).
        let start = lane.waiting.shift();
        while (start && socket.destroyed) start = lane.waiting.shift();
        if (start) return start();
        if (socket._paused && !socket.destroyed) release(socket);
      };
      res.once('finish', next);
      res.once('close', next);
      void Promise.resolve().then(() => handler(req, res)).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.destroy();
      });
    };
    if (!lane.busy) return run();
    lane.waiting.push(run);
    hold(socket);
  };
}
