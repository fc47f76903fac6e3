import type { FieldSpec } from '../config-fields';
import { describedBy, Field } from './ui';

interface Props {
  readonly fields: readonly FieldSpec[];
  readonly values: Record<string, string | boolean>;
  readonly errors: Record<string, string>;
  onChange: (name: string, value: string | boolean) => void;
}

/** The inputs of one integration type's config object; ids are `config-<field>`. */
export function ConfigFields({ fields, values, errors, onChange }: Props) {
  return (
    <>
      {fields.map((field) => {
        const id = `config-${field.name}`;
        const error = errors[`config.${field.name}`];
        const aria = describedBy(id, error, field.hint !== undefined);
        const value = values[field.name];
        const text = typeof value === 'string' ? value : '';
        const set = (v: string | boolean) => onChange(field.name, v);
        if (field.kind === 'checkbox') {
          return (
            <div key={field.name} class={error ? 'field checkbox invalid' : 'field checkbox'}>
              <input type="checkbox" {...aria} checked={value === true} onChange={(e) => set(e.currentTarget.checked)} />
              <label for={id}>{field.label}</label>
              {error ? (
                <p id={`${id}-error`} class="field-error">
                  {error}
                </p>
              ) : null}
            </div>
          );
        }
        return (
          <Field key={field.name} id={id} label={field.label} error={error} hint={field.hint} required={field.required}>
            {field.kind === 'select' ? (
              <select {...aria} value={text} onChange={(e) => set(e.currentTarget.value)}>
                {field.required ? null : <option value="">(default)</option>}
                {(field.options ?? []).map((option) => (
                  <option key={option} value={option}>
                    {option}
                  </option>
                ))}
              </select>
            ) : field.kind === 'pem' || field.kind === 'headers' ? (
              <textarea {...aria} rows={field.kind === 'pem' ? 4 : 3} spellcheck={false} value={text} onInput={(e) => set(e.currentTarget.value)} />
            ) : field.kind === 'secret' ? (
              <input {...aria} type="password" autocomplete="new-password" value={text} onInput={(e) => set(e.currentTarget.value)} />
            ) : (
              <input {...aria} type="text" inputMode={field.kind === 'number' ? 'numeric' : undefined} autocomplete="off" value={text} onInput={(e) => set(e.currentTarget.value)} />
            )}
          </Field>
        );
      })}
    </>
  );
}
