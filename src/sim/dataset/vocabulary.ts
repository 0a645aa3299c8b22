import type { Rng } from './random.js';

/**
 * The words the generator builds names and payloads from. Id stems never end with a digit, so an id
 * is its stem followed by its index in decimal and the index can be read back from the trailing
 * digits. Stems hold no whitespace, slash, backslash or control character and are never only dots
 * (the gateway refuses those); the encoded ones need percent-encoding in a URL path.
 */
export const PLAIN_USER_STEMS: readonly string[] = ['user', 'alice.', 'bob_', 'carol-', 'dave.k', 'eve:', 'frank~', 'grace', 'heidi_w', 'ivan.p-'];
export const ENCODED_USER_STEMS: readonly string[] = [
  'ann#', '50%', 'who?', 'r&d+', 'c++', 'a%20b-', 'x=y;', "o'neil", 'mail@host.', '[box]',
  'zoë.', 'josé_', 'łukasz-', 'cafe\u0301-', '李', '山田', 'дарья', 'דנה', 'علي', '😀', '👩\u200d💻', '🇯🇵-',
];
export const PLAIN_CHANNEL_STEMS: readonly string[] = ['general-', 'random-', 'eng-', 'support-', 'release.', 'ops_'];
export const ENCODED_CHANNEL_STEMS: readonly string[] = [
  'team#', '100%', 'q&a?', 'c++-', 'ops+dev-', 'x?y=z&', 'café-', '频道', 'قناة', 'צוות-', '🚀', 'naïve#',
];

export const FIRST_NAMES: readonly string[] = [
  'Alice', 'Bob', 'Carol', 'Dave', 'Eve', 'Frank', 'Grace', 'Heidi', 'Zoë', 'José', 'Łukasz', 'Søren', 'Ægir',
  'Nguyễn', 'Дарья', 'דנה', 'علي', '李', '山田', '민준', "O'Neil", 'Ana-María',
];
export const LAST_NAMES: readonly string[] = [
  'Smith', 'Jones', 'Müller', 'García', 'Kowalski', 'Øster', 'Ivanova', 'כהן', 'الحسن', '小龙', '太郎', '김', 'van der Berg', '',
];
export const TITLES: readonly string[] = ['Engineer', 'Designer', 'Product Manager', 'Support', 'Sales', 'CEO', 'Ingénieure', '研发工程师', 'مهندس', ''];
export const DEPARTMENTS: readonly string[] = ['Engineering', 'Design', 'Sales', 'Support', 'R&D', 'Ops/Infra', '市场部', 'Vertrieb'];
export const LOCATIONS: readonly string[] = ['Berlin', 'São Paulo', 'Zürich', 'Tel Aviv', 'تل أبيب', '東京', 'Kraków', 'New York', 'Reykjavík'];
export const TIMEZONES: readonly string[] = ['Europe/Berlin', 'America/Sao_Paulo', 'Europe/Zurich', 'Asia/Jerusalem', 'Asia/Tokyo', 'America/New_York', 'UTC'];
export const LANGUAGES: readonly string[] = ['en', 'de', 'fr', 'pt-BR', 'zh-CN', 'ja', 'ar', 'he', 'ko'];
export const TOPICS: readonly string[] = ['Daily stand-up', 'Release train 🚂', 'Questions & answers', '客户支持', 'שאלות ותשובות', 'Off-topic', ''];
export const SIGNATURES: readonly string[] = ['Sent from my phone', '— Zoë', 'Cheers 🍻', '此致敬礼', 'בברכה', 'مع التحية', 'ttyl'];

const WORDS: readonly string[] = [
  'the', 'build', 'is', 'green', 'again', 'can', 'you', 'review', 'my', 'change', 'before', 'lunch', 'meeting', 'moved',
  'to', 'three', 'thanks', 'sure', 'deploy', 'tomorrow', 'ok', 'sounds', 'good', 'which', 'branch', 'ticket', 'customer',
  'called', 'about', 'invoice', 'please', 'check', 'logs', 'when', 'free', 'coffee', 'later', 'shipping', 'now', 'done',
  'blocked', 'on', 'review', 'it', 'works', 'on', 'my', 'machine', 'rollback', 'plan', 'weekend', 'hotfix', 'release',
];
/** Non-ASCII runs: emoji (with ZWJ, flags, variation selectors), CJK, Korean, RTL, combining marks, astral letters. */
const INTERNATIONAL: readonly string[] = [
  '👍', '🎉', '❤️', '😂', '👨\u200d👩\u200d👧', '🇯🇵', '明天见', '好的，没问题', '了解しました', '안녕하세요', 'مرحبا بك',
  'שלום, מה נשמע?', 'Привет', 'Ελληνικά', 'naïve café', 'cafe\u0301', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'ok שלום 123', 'Zürich → 東京',
];
/** ASCII a parser can trip on: quotes, backslashes, newlines, tabs, markup, JSON-looking text. */
const AWKWARD: readonly string[] = ['"quoted"', 'C:\\temp\\log.txt', 'line one\nline two', 'tab\tseparated', '<b>bold</b>', '{"not":"json"', '100% & more', 'a/b?c=d#e'];

/** A chat line: mostly words, sometimes with an international or awkward run, sometimes only one. */
export function chatText(rng: Rng): string {
  const roll = rng.int(100);
  if (roll < 10) return rng.pick(INTERNATIONAL);
  if (roll < 12) return rng.pick(AWKWARD);
  const words: string[] = [];
  const count = 2 + rng.int(13);
  for (let i = 0; i < count; i++) words.push(rng.pick(WORDS));
  if (roll < 30) words.splice(rng.int(words.length + 1), 0, rng.pick(INTERNATIONAL));
  else if (roll < 34) words.splice(rng.int(words.length + 1), 0, rng.pick(AWKWARD));
  const text = words.join(' ');
  return roll % 7 === 0 ? `${text}?` : text;
}

/** A long message (a pasted log or a long mail-like text), about 2 KB. */
export function longText(rng: Rng): string {
  const lines: string[] = [];
  let length = 0;
  while (length < 2_000) {
    const line = chatText(rng);
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}

export const FILE_NAMES: readonly string[] = ['report Q3.pdf', '报告.docx', 'תמונה.png', 'notes #2.txt', 'résumé.pdf', 'data&more.csv'];
