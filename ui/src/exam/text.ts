// The shell's messages read as sentences on screen: they come in lower case, made to
// follow a colon in the log ("not a valid start code: …").

/** "not a valid start code: …" → "Not a valid start code: ….". */
export function sentence(text: string): string {
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}
