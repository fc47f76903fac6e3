import { useState } from 'preact/hooks';
import { api, ApiError, messageOf } from '../api';
import { fieldOfMessage } from '../field-errors';
import { Alert, describedBy, Field } from './ui';

const FIELDS = new Set(['topic', 'message', 'qos']);

export function PublishForm({ path }: { path: string }) {
  const [topic, setTopic] = useState('');
  const [message, setMessage] = useState('');
  const [qos, setQos] = useState('1');
  const [retain, setRetain] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();

  async function submit(event: Event) {
    event.preventDefault();
    setErrors({});
    setOutcome(undefined);
    try {
      await api('POST', `${path}/publish`, { topic, message, qos: Number(qos), ...(retain ? { retain } : {}) });
      setOutcome({ ok: true, text: 'Published.' });
    } catch (err) {
      const field = err instanceof ApiError && err.status === 400 ? fieldOfMessage(err.message, FIELDS) : undefined;
      if (field !== undefined) setErrors({ [field]: messageOf(err) });
      else setOutcome({ ok: false, text: messageOf(err) });
    }
  }

  return (
    <section aria-labelledby="publish-heading">
      <h2 id="publish-heading">Publish</h2>
      <form onSubmit={(e) => void submit(e)} noValidate class="publish">
        <Field id="publish-topic" label="Topic" error={errors.topic}>
          <input {...describedBy('publish-topic', errors.topic)} value={topic} onInput={(e) => setTopic(e.currentTarget.value)} />
        </Field>
        <Field id="publish-message" label="Message" error={errors.message}>
          <textarea {...describedBy('publish-message', errors.message)} rows={3} value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
        </Field>
        <Field id="publish-qos" label="QoS" error={errors.qos}>
          <select {...describedBy('publish-qos', errors.qos)} value={qos} onChange={(e) => setQos(e.currentTarget.value)}>
            <option value="0">0</option>
            <option value="1">1</option>
            <option value="2">2</option>
          </select>
        </Field>
        <div class="field checkbox">
          <input id="publish-retain" type="checkbox" checked={retain} onChange={(e) => setRetain(e.currentTarget.checked)} />
          <label for="publish-retain">Retain</label>
        </div>
        <button type="submit">Publish</button>
        <div aria-live="polite">{outcome ? <Alert kind={outcome.ok ? 'success' : 'error'}>{outcome.text}</Alert> : null}</div>
      </form>
    </section>
  );
}
