/** The replies that opt a number out of (or back into) our SMS and WhatsApp: the carriers' usual keywords. Pure. */
const STOP = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'OPT-OUT']);
const START = new Set(['START', 'UNSTOP', 'SUBSCRIBE']);

/** What a reply asks for, by its first word, any case: `stop`, `start`, or nothing. */
export function replyIntent(text: unknown): 'stop' | 'start' | undefined {
  if (typeof text !== 'string') return undefined;
  const word =
    text
      .trim()
      .split(/\s+/)[0]
      ?.toUpperCase()
      .replace(/[.!]+$/, '') ?? '';
  if (STOP.has(word)) return 'stop';
  if (START.has(word)) return 'start';
  return undefined;
}
