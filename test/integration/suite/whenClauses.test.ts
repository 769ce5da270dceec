// The manifest's `when` clauses, read from package.json and evaluated against file contexts with
// a small evaluator of the operators they use (==, !=, in, =~ is not used; &&, ||, !, parentheses).
import * as assert from 'node:assert/strict';
import { extension } from './helpers';

type Context = Record<string, unknown>;

/** Evaluates a when clause made of `a == b`, `a != b`, `a in b`, bare keys, !, &&, || and parentheses. */
export function evaluateWhen(clause: string, context: Context): boolean {
  const tokens = clause.match(/\(|\)|&&|\|\||!(?!=)|==|!=|[^\s()!&|=]+/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const or = (): boolean => {
    let value = and();
    while (peek() === '||') {
      at++;
      value = and() || value;
    }
    return value;
  };
  const and = (): boolean => {
    let value = unary();
    while (peek() === '&&') {
      at++;
      value = unary() && value;
    }
    return value;
  };
  const unary = (): boolean => {
    if (peek() === '!') {
      at++;
      return !unary();
    }
    if (peek() === '(') {
      at++;
      const value = or();
      assert.equal(tokens[at++], ')', `unbalanced parentheses in ${clause}`);
      return value;
    }
    const key = tokens[at++]!;
    const op = peek();
    if (op === '==' || op === '!=' || op === 'in') {
      at++;
      const right = tokens[at++]!;
      if (op === 'in') {
        const list = context[right];
        return Array.isArray(list) ? list.includes(context[key]) : false;
      }
      return (String(context[key]) === right) === (op === '==');
    }
    if (key === 'true') return true;
    if (key === 'false') return false;
    return Boolean(context[key]);
  };
  const value = or();
  assert.equal(at, tokens.length, `unparsed tokens in ${clause}`);
  return value;
}

function fileContext(filePath: string, modelFiles: string[]): Context {
  const name = filePath.split('/').pop()!;
  const dot = name.lastIndexOf('.');
  return { resourcePath: filePath, resourceFilename: name, resourceExtname: dot >= 0 ? name.slice(dot) : '', 'quench.modelFiles': modelFiles };
}

export function whenClauseTests(): void {
  describe('when clauses', () => {
    const contributes = () => extension().packageJSON.contributes;
    const recognised = ['/w/a/model.json', '/w/b/net.h5', '/w/c/net.keras', '/w/d/resnet.onnx'];

    for (const menu of ['explorer/context', 'editor/title/context']) {
      it(`${menu}: Prune and Inspect appear on recognised model files only`, () => {
        const entries = contributes().menus[menu] as { command: string; when: string }[];
        for (const command of ['quench.pruneModel', 'quench.inspectModel']) {
          const entry = entries.find((e) => e.command === command);
          assert.ok(entry, `${menu} has ${command}`);
          for (const token of ['resourceFilename == model.json', 'resourceExtname == .h5', 'resourceExtname == .keras', 'resourceExtname == .onnx', 'resourcePath in quench.modelFiles']) {
            assert.ok(entry.when.includes(token), `${command} when clause mentions ${token}`);
          }
          for (const file of recognised) assert.equal(evaluateWhen(entry.when, fileContext(file, recognised)), true, `${command} shown on ${file}`);
          // A model.json / .h5 the engine rejected is not in quench.modelFiles; other files never match.
          for (const file of ['/w/lookalike/model.json', '/w/data/measurements.h5', '/w/data/garbage.onnx', '/w/src/train.py', '/w/package.json']) {
            assert.equal(evaluateWhen(entry.when, fileContext(file, recognised)), false, `${command} hidden on ${file}`);
          }
        }
      });
    }

    it('every command has the Quench category and internal commands are hidden from the palette', () => {
      const { commands, menus } = contributes();
      for (const c of commands as { command: string; category: string }[]) assert.equal(c.category, 'Quench', c.command);
      const hidden = new Set((menus.commandPalette as { command: string; when: string }[]).filter((e) => e.when === 'false').map((e) => e.command));
      for (const id of ['quench.revealInExplorer', 'quench.showJobProgress', 'quench.listModels', 'quench.listJobs', 'quench.engineInfo']) {
        assert.ok(hidden.has(id), `${id} hidden`);
      }
      assert.ok(!hidden.has('quench.pruneModel'));
    });

    it('Models view item actions target model items only', () => {
      const items = contributes().menus['view/item/context'] as { command: string; when: string }[];
      const modelPattern = 'viewItem =~ /^quench\\.model/';
      for (const item of items) {
        const clause = item.when.replace(modelPattern, 'isModelItem');
        assert.equal(evaluateWhen(clause, { view: 'quench.models', viewItem: 'quench.model.hasRun', isModelItem: true }), true, `${item.command} on a model with runs`);
        assert.equal(evaluateWhen(clause, { view: 'quench.models', viewItem: 'quench.layer', isModelItem: false }), false, `${item.command} not on layers`);
      }
    });

    it('declares the settings', () => {
      const properties = contributes().configuration.properties;
      for (const key of ['quench.exclude', 'quench.nodePath', 'quench.backend', 'quench.maxMemoryMB', 'quench.defaultMethod', 'quench.readoutEpochs', 'quench.finetuneEpochs']) {
        assert.ok(properties[key], key);
      }
      assert.equal(properties['quench.nodePath'].scope, 'machine', 'a workspace cannot choose the executable');
    });
  });
}
