/** `@ohos.app.ability.Want`: a type only on Node (an empty class stands in for `new Want()` code). */
export default class Want {}
