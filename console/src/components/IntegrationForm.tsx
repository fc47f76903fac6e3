import { useState } from 'preact/hooks';
import { api, ApiError, messageOf } from '../api';
import { CONFIG_FIELDS, TYPE_LABELS } from '../config-fields';
import { fieldOfMessage } from '../field-errors';
import { href, navigate } from '../router';
import { INTEGRATION_TYPES, type Integration, type IntegrationType, type ProbeResult } from '../types';
import { ConfigFields } from './ConfigFields';
import { bodyOf, emptyValues, type FormValues } from './integration-body';
import { Alert, describedBy, Field } from './ui';

interface Props {
  readonly applicationId: string;
  /** The integration being edited; absent when creating one. */
  readonly existing?: Integration | undefined;
  readonly initial?: FormValues | undefined;
}

type Outcome = { kind: 'error'; text: string } | { kind: 'success'; text: string } | { kind: 'info'; text: string };

export function IntegrationForm({ applicationId, existing, initial }: Props) {
  const [values, setValues] = useState<FormValues>(initial ?? emptyValues());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [probe, setProbe] = useState<Outcome>();
  const [busy, setBusy] = useState(false);
  const fields = CONFIG_FIELDS[values.integrationType];
  const known = new Set(['name', 'topics', 'enabled', 'integrationType', 'config', ...fields.map((f) => `config.${f.name}`)]);
  const base = `/applications/${applicationId}/integrations`;

  const update = (patch: Partial<FormValues>) => setValues((v) => ({ ...v, ...patch }));
  const setType = (integrationType: IntegrationType) => {
    setValues((v) => ({ ...emptyValues(integrationType), name: v.name, topics: v.topics, enabled: v.enabled }));
    setErrors({});
  };

  /** Puts a 400's message at the field it names (and moves focus there), else above the buttons. */
  function showError(err: unknown) {
    if (err instanceof ApiError && err.status === 400) {
      const field = fieldOfMessage(err.message, known);
      if (field !== undefined) {
        setErrors({ [field]: err.message });
        const id = field === 'config' ? 'config-fieldset' : field.startsWith('config.') ? `config-${field.slice(7)}` : `f-${field}`;
        requestAnimationFrame(() => document.getElementById(id)?.focus());
        return;
      }
    }
    setFormError(messageOf(err));
  }

  function clear() {
    setErrors({});
    setFormError(undefined);
  }

  async function submit(event: Event) {
    event.preventDefault();
    clear();
    setBusy(true);
    try {
      const body = bodyOf(values);
      if (existing) {
        delete body.integrationType;
        await api<Integration>('PATCH', `${base}/${existing.id}`, body);
        navigate(href.integration(applicationId, existing.id));
      } else {
        const created = await api<Integration>('POST', base, body);
        navigate(href.integration(applicationId, created.id));
      }
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  }

  async function testConnection() {
    clear();
    setProbe({ kind: 'info', text: 'Testing the connection…' });
    try {
      const result = await api<ProbeResult>('POST', `${base}/probe`, bodyOf(values));
      setProbe(result.success ? { kind: 'success', text: `Connected in ${result.latencyMs ?? '?'} ms.` } : { kind: 'error', text: `Could not connect: ${result.error ?? 'no reason given'}` });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && err.message.startsWith('Route ')) setProbe({ kind: 'error', text: 'This server cannot test connections yet.' });
      else {
        setProbe(undefined);
        showError(err);
      }
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} noValidate class="integration-form">
      <Field id="f-name" label="Name" error={errors.name} required>
        <input {...describedBy('f-name', errors.name)} value={values.name} onInput={(e) => update({ name: e.currentTarget.value })} />
      </Field>
      <Field id="f-integrationType" label="Type" error={errors.integrationType} hint={existing ? 'The type of an integration cannot change' : undefined}>
        <select {...describedBy('f-integrationType', errors.integrationType, existing !== undefined)} value={values.integrationType} disabled={existing !== undefined} onChange={(e) => setType(e.currentTarget.value as IntegrationType)}>
          {INTEGRATION_TYPES.map((type) => (
            <option key={type} value={type}>
              {TYPE_LABELS[type]}
            </option>
          ))}
        </select>
      </Field>
      <Field id="f-topics" label="Topics" error={errors.topics} hint="One per line">
        <textarea {...describedBy('f-topics', errors.topics, true)} rows={3} spellcheck={false} value={values.topics} onInput={(e) => update({ topics: e.currentTarget.value })} />
      </Field>
      <div class="field checkbox">
        <input id="f-enabled" type="checkbox" checked={values.enabled} onChange={(e) => update({ enabled: e.currentTarget.checked })} />
        <label for="f-enabled">Enabled</label>
      </div>
      <fieldset id="config-fieldset" tabIndex={-1} aria-describedby={errors.config ? 'config-fieldset-error' : undefined}>
        <legend>{TYPE_LABELS[values.integrationType]} settings</legend>
        {errors.config ? (
          <p id="config-fieldset-error" class="field-error">
            {errors.config}
          </p>
        ) : null}
        <ConfigFields fields={fields} values={values.config} errors={errors} onChange={(name, value) => update({ config: { ...values.config, [name]: value } })} />
      </fieldset>
      {formError ? <Alert>{formError}</Alert> : null}
      <div aria-live="polite">{probe ? <Alert kind={probe.kind}>{probe.text}</Alert> : null}</div>
      <p class="actions">
        <button type="submit" disabled={busy}>
          {existing ? 'Save' : 'Create integration'}
        </button>
        <button type="button" class="secondary" onClick={() => void testConnection()}>
          Test connection
        </button>
        <a href={existing ? href.integration(applicationId, existing.id) : href.application(applicationId)}>Cancel</a>
      </p>
    </form>
  );
}
