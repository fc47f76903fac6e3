import type { ComponentChildren } from 'preact';
import type { State } from '../types';

/** The small shared pieces: a labelled field with its message, alerts, the status light. */

export interface FieldProps {
  readonly id: string;
  readonly label: string;
  readonly error?: string | undefined;
  readonly hint?: string | undefined;
  readonly required?: boolean | undefined;
  readonly children: ComponentChildren;
}

/** The aria attributes an input inside a Field carries, so its message is read with it. */
export function describedBy(id: string, error: string | undefined, hasHint = false) {
  const ids = [error ? `${id}-error` : '', hasHint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  return { id, 'aria-invalid': error ? ('true' as const) : undefined, 'aria-describedby': ids || undefined };
}

export function Field({ id, label, error, hint, required, children }: FieldProps) {
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>
        {label}
        {required ? <span class="required"> (required)</span> : null}
      </label>
      {children}
      {hint ? (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      ) : null}
      {error ? (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function Alert({ children, kind = 'error' }: { children: ComponentChildren; kind?: 'error' | 'info' | 'success' }) {
  return (
    <div class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** A light and the state's word: the colour is never the only signal. */
export function StatusLight({ state }: { state: State }) {
  return (
    <span class={`status status-${state}`}>
      <span class="light" aria-hidden="true" />
      <span class="state">{state}</span>
    </span>
  );
}

export function Loading() {
  return (
    <p class="muted" role="status">
      Loading…
    </p>
  );
}
