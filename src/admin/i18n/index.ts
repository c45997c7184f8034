/**
 * The panel's labels, merged by the admin bundler into the dashboard's own i18next resources
 * (Medusa ≥ 2.11.1: src/admin/i18n/index.ts), so the panel follows the language the user picked
 * in the admin (Profile → Language; i18next keeps it in the `lng` cookie and localStorage key).
 * Every key sits under `pagoefectivo.` so none can collide with the dashboard's.
 */
import en from "./json/en.json"
import es from "./json/es.json"

export default {
  en: { translation: en },
  es: { translation: es },
}
