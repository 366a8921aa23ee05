// Checks a regex match must pass to be a hit (an entry's `validate`): a checksum or the ranges a
// real number keeps to, so that any 16 digits are not a card number. Each takes the matched text
// and ignores the spaces and dashes that group it.

export const VALIDATORS = ["luhn", "iban", "ssn"] as const;
export type ValidatorName = (typeof VALIDATORS)[number];

const strip = (s: string) => s.replace(/[\s-]/g, "");

/** The Luhn checksum (card numbers): digits only, at least two, the doubled-every-second sum ≡ 0 mod 10. */
export function luhn(s: string): boolean {
  const d = strip(s);
  if (d.length < 2 || !/^[0-9]+$/.test(d)) return false;
  let sum = 0;
  for (let i = d.length - 1, dbl = false; i >= 0; i--, dbl = !dbl) {
    let v = d.charCodeAt(i) - 48;
    if (dbl) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  return sum % 10 === 0;
}

/**
 * An IBAN (ISO 13616): two letters, two check digits, then letters and digits, 15 to 34 in all;
 * the first four moved to the end, each letter read as 10..35, the number is 1 mod 97. The
 * country's own length is not checked.
 */
export function ibanValid(s: string): boolean {
  const v = strip(s).toUpperCase();
  if (v.length < 15 || v.length > 34 || !/^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(v)) return false;
  const r = v.slice(4) + v.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < r.length; i++) {
    const c = r.charCodeAt(i);
    // A letter is two digits (A = 10): the remainder takes both at once.
    rem = c >= 65 ? (rem * 100 + (c - 55)) % 97 : (rem * 10 + (c - 48)) % 97;
  }
  return rem === 1;
}

/** A US social security number: nine digits; area not 000, 666 or 900-999; group not 00; serial not 0000. */
export function ssnValid(s: string): boolean {
  const d = strip(s);
  if (!/^[0-9]{9}$/.test(d)) return false;
  const area = Number(d.slice(0, 3));
  return area !== 0 && area !== 666 && area < 900 && d.slice(3, 5) !== "00" && d.slice(5) !== "0000";
}

export const VALIDATE: Record<ValidatorName, (s: string) => boolean> = { luhn, iban: ibanValid, ssn: ssnValid };
