import { api } from './api.js';

// Shows an MJPEG preview (`multipart/x-mixed-replace`) in an <img>: the stream is read with the access
// token (an <img src> could not send it) and each part becomes the image's source. Returns a stopper.
export function playMJPEG(path, image, { onFrame = () => {}, onEnd = () => {} } = {}) {
  let current = null, reader = null, stopped = false;
  (async () => {
    const response = await api.request('GET', path, undefined, { raw: true });
    reader = response.body.getReader();
    if (stopped) return;
    let buffer = new Uint8Array(0);
    for (;;) {
      const { value, done } = await reader.read();
      if (done || stopped) break;
      buffer = concat(buffer, value);
      for (;;) {
        const part = nextPart(buffer);
        if (!part) break;
        buffer = buffer.slice(part.end);
        const url = URL.createObjectURL(new Blob([part.body], { type: 'image/jpeg' }));
        image.src = url;
        if (current) URL.revokeObjectURL(current);
        current = url;
        onFrame();
      }
    }
    reader.cancel().catch(() => {});
  })().catch(() => {}).finally(() => onEnd());
  return () => {
    stopped = true;
    if (reader) reader.cancel().catch(() => {});
    if (current) URL.revokeObjectURL(current);
  };
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const decoder = new TextDecoder();

// One complete part: headers up to a blank line, then Content-Length bytes.
function nextPart(buffer) {
  const limit = Math.min(buffer.length, 1024);
  for (let i = 0; i + 3 < limit; i++) {
    if (buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 && buffer[i + 3] === 10) {
      const headers = decoder.decode(buffer.slice(0, i));
      const match = /content-length:\s*(\d+)/i.exec(headers);
      if (!match) return null;
      const start = i + 4, length = Number(match[1]);
      if (buffer.length < start + length) return null;
      return { body: buffer.slice(start, start + length), end: start + length + 2 };
    }
  }
  return null;
}
