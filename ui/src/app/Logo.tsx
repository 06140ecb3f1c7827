/** The app icon's open book, drawn small for the header. Decorative: the name is beside it. */
export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 512 512" aria-hidden="true" focusable="false">
      <rect x="16" y="16" width="480" height="480" rx="108" className="logo__tile" />
      <path d="M256 214 C216 188 166 180 112 186 L112 374 C166 368 216 376 256 402 Z" className="logo__page" />
      <path d="M256 214 C296 188 346 180 400 186 L400 374 C346 368 296 376 256 402 Z" className="logo__page logo__page--right" />
      <path d="M352 96 L361 120 L386 121 L366 136 L373 160 L352 146 L331 160 L338 136 L318 121 L343 120 Z" className="logo__star" />
    </svg>
  );
}
