/**
 * `example.html`, written beside every TensorFlow.js export: a page that needs nothing but
 * `@tensorflow/tfjs` and the export's own files. Its `classify(image)` is the whole usage; the
 * e2e test test/e2e/tfjs-export-bare-page.spec.ts runs this very page.
 */

export const EXAMPLE_HTML = 'example.html';

/** The tfjs build the example loads; the version the app itself ships and was tested with. */
export const TFJS_CDN_URL = 'https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@4.22.0/dist/tf.min.js';

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page's text for a model called `title`. */
export function exampleHtml(title: string): string {
  return `<!doctype html>
<meta charset="utf-8">
<title>${escapeHtml(title)}: TensorFlow.js</title>
<!-- Serve this folder over http (for example: npx http-server . or python3 -m http.server), then open example.html. -->
<script src="${TFJS_CDN_URL}"></script>
<input type="file" accept="image/*" id="file"> <p id="result"></p>
<script>
const loading = tf.loadGraphModel('model.json'); // metadata: classes and preprocessing (also in preprocessing.json)
async function classify(image) { // an <img>, <canvas> or <video>
  const model = await loading, { classes, inputSize, mean, std, fit } = model.metadata;
  const [w, h] = [image.naturalWidth || image.width, image.naturalHeight || image.height], side = Math.min(w, h);
  const canvas = Object.assign(document.createElement('canvas'), { width: inputSize, height: inputSize });
  const crop = fit === 'cover' ? [(w - side) / 2, (h - side) / 2, side, side] : [0, 0, w, h]; // centre square, as the app
  canvas.getContext('2d').drawImage(image, ...crop, 0, 0, inputSize, inputSize);
  const probs = tf.tidy(() => model.predict(tf.browser.fromPixels(canvas).toFloat().div(255).sub(mean).div(std).expandDims()).softmax());
  const p = Array.from(await probs.data()); probs.dispose();
  return p.map((probability, i) => ({ label: classes[i], probability })).sort((a, b) => b.probability - a.probability);
}
document.getElementById('file').onchange = async (event) => {
  const image = new Image(); image.src = URL.createObjectURL(event.target.files[0]); await image.decode();
  const [best] = await classify(image);
  document.getElementById('result').textContent = best.label + ' ' + (100 * best.probability).toFixed(1) + '%';
};
</script>
`;
}
