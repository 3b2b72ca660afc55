// Microphone capture: downsample whatever rate the audio context runs at to 16 kHz mono PCM16 and post
// 20 ms frames (640 bytes) to the page, which sends them over the lane websocket.
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;
    this.position = 0;
    this.frame = new Int16Array(320);
    this.filled = 0;
  }
  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    // box-filter decimation: average the input samples that fall in each output sample
    let sum = 0, count = 0;
    for (let i = 0; i < input.length; i++) {
      sum += input[i]; count++;
      this.position += 1;
      if (this.position >= this.ratio) {
        this.position -= this.ratio;
        const v = Math.max(-1, Math.min(1, sum / count));
        this.frame[this.filled++] = v < 0 ? v * 32768 : v * 32767;
        sum = 0; count = 0;
        if (this.filled === this.frame.length) {
          this.port.postMessage(this.frame.buffer.slice(0));
          this.filled = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor('capture', Capture);
