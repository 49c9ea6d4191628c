// The root tsconfig checks tests with plain tsc, which does not read .vue files; vue-tsc checks them.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<Record<string, unknown>, Record<string, unknown>, unknown>;
  export default component;
}
