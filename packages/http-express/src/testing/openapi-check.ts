import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;

interface Doc {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: { schemas: Record<string, unknown> };
}

/**
 * Validates real responses against an OpenAPI document: finds the operation by method and URL,
 * then the response by status, and checks the JSON body with ajv (components resolved by $ref).
 */
export class OpenApiChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly routes: { method: string; template: string; regex: RegExp }[] = [];

  constructor(private readonly doc: Doc) {
    addFormats(this.ajv);
    for (const [template, ops] of Object.entries(doc.paths)) {
      const regex = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`);
      for (const method of Object.keys(ops)) this.routes.push({ method, template, regex });
    }
  }

  /** The path template of a request, or undefined when the document has no such operation. */
  operationOf(method: string, url: string): string | undefined {
    const path = url.split('?')[0];
    return this.routes.find((r) => r.method === method.toLowerCase() && r.regex.test(path))?.template;
  }

  /** Throws with the ajv errors when the response does not match the document. */
  check(method: string, url: string, status: number, body: unknown): void {
    const template = this.operationOf(method, url);
    if (!template) return; // unknown routes (404/405) are answered with the Error schema, checked below
    const op = this.doc.paths[template][method.toLowerCase()];
    const response = op.responses[String(status)];
    if (!response) throw new Error(`${method} ${template}: status ${status} is not in the OpenAPI document`);
    const schema = response.content?.['application/json']?.schema;
    if (!schema) {
      if (body !== undefined && body !== '' && !(typeof body === 'object' && body !== null && Object.keys(body).length === 0)) {
        throw new Error(`${method} ${template} ${status}: the document says no body, got one`);
      }
      return;
    }
    const key = `${method} ${template} ${status}`;
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile({ allOf: [schema], components: this.doc.components });
      this.cache.set(key, validate);
    }
    if (!validate(body)) {
      throw new Error(`${key}: response does not match the OpenAPI document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
    }
  }

  /** Checks an error body (any route, including unknown ones) against the Error schema. */
  checkError(body: unknown): void {
    let validate = this.cache.get('Error');
    if (!validate) {
      validate = this.ajv.compile({ allOf: [{ $ref: '#/components/schemas/Error' }], components: this.doc.components });
      this.cache.set('Error', validate);
    }
    if (!validate(body)) throw new Error(`error body does not match the Error schema: ${this.ajv.errorsText(validate.errors)}`);
  }
}
