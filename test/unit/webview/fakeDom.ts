// The little of the DOM the panel's builders use (webview/dom.ts: createElement(NS), attributes,
// children, text, listeners, style), so views render under node:test and their trees can be read.
// Queries walk the tree with a predicate instead of CSS selectors.

export class FakeNode {
  parent: FakeElement | null = null;
  constructor(readonly text: string | null) {}
  get textContent(): string {
    return this.text ?? '';
  }
}

class FakeStyle {
  private readonly props = new Map<string, string>();
  [key: string]: unknown;
  setProperty(name: string, value: string): void {
    this.props.set(name, value);
  }
  getPropertyValue(name: string): string {
    return this.props.get(name) ?? '';
  }
}

export class FakeElement extends FakeNode {
  readonly attributes = new Map<string, string>();
  readonly childNodes: FakeNode[] = [];
  readonly listeners = new Map<string, ((ev: unknown) => void)[]>();
  readonly style = new FakeStyle();
  constructor(readonly tagName: string, readonly namespaceURI: string | null) {
    super(null);
  }
  override get textContent(): string {
    return this.childNodes.map((c) => c.textContent).join('');
  }
  get children(): FakeElement[] {
    return this.childNodes.filter((c): c is FakeElement => c instanceof FakeElement);
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  hasAttribute(name: string): boolean {
    return this.attributes.has(name);
  }
  appendChild<T extends FakeNode>(child: T): T {
    child.parent = this;
    this.childNodes.push(child);
    return child;
  }
  append(...children: FakeNode[]): void {
    for (const c of children) this.appendChild(c);
  }
  addEventListener(type: string, listener: (ev: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  get classList(): string[] {
    return (this.getAttribute('class') ?? '').split(/\s+/).filter(Boolean);
  }
}

/** Installs the fake as the global `document` (once per test process). */
export function installFakeDocument(): void {
  const g = globalThis as unknown as { document?: unknown };
  if (g.document) return;
  g.document = {
    createElement: (tag: string) => new FakeElement(tag.toLowerCase(), 'http://www.w3.org/1999/xhtml'),
    createElementNS: (ns: string, tag: string) => new FakeElement(tag, ns),
    createTextNode: (text: string) => new FakeNode(text),
  };
}

/** Every element under `root` (itself included) that satisfies `test`, in document order. */
export function findAll(root: unknown, test: (e: FakeElement) => boolean): FakeElement[] {
  const out: FakeElement[] = [];
  const walk = (e: FakeElement) => {
    if (test(e)) out.push(e);
    for (const c of e.children) walk(c);
  };
  walk(root as FakeElement);
  return out;
}

export function byTestId(root: unknown, id: string): FakeElement | undefined {
  return findAll(root, (e) => e.getAttribute('data-testid') === id)[0];
}

export const hasClass = (name: string) => (e: FakeElement) => e.classList.includes(name);
export const isTag = (tag: string) => (e: FakeElement) => e.tagName === tag;
