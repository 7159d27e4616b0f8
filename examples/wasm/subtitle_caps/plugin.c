/* subtitle_caps: changes the case of subtitle cue text in SRT, leaving indices and timings. */
#include "reelkit.h"

static int is_timing_or_index(rk_str line) {
    int digits = 0;
    for (size_t i = 0; i < line.len; i++) {
        char c = line.ptr[i];
        if (c >= '0' && c <= '9') digits++;
        else if (c != ':' && c != ',' && c != '.' && c != ' ' && c != '-' && c != '>' && c != '\r') return 0;
    }
    return digits > 0;
}

RK_EXPORT("transform") int32_t transform(void) {
    rk_str in = rk_input();
    rk_str srt_raw = rk_json_get(in, "srt");
    if (!srt_raw.ptr || srt_raw.ptr[0] != '"') return rk_fail("input needs a string field 'srt'");
    rk_str srt = rk_json_string(srt_raw);
    rk_str mode = rk_json_string(rk_json_get(in, "mode"));
    if (!mode.ptr) mode = rk_config_get("mode");          /* the plugin's configured default */
    int upper = !(mode.ptr && rk_eq(mode, "lower"));

    char *text = rk_alloc(srt.len + 1);
    int64_t changed_lines = 0;
    size_t start = 0;
    for (size_t i = 0; i <= srt.len; i++) {
        if (i < srt.len && srt.ptr[i] != '\n') continue;
        rk_str line = {srt.ptr + start, i - start};
        int changed = 0;
        for (size_t k = 0; k < line.len; k++) {
            char c = line.ptr[k], d = c;
            if (!is_timing_or_index(line)) {
                if (upper && c >= 'a' && c <= 'z') d = (char)(c - 32);
                if (!upper && c >= 'A' && c <= 'Z') d = (char)(c + 32);
            }
            text[start + k] = d;
            changed |= d != c;
        }
        if (i < srt.len) text[i] = '\n';
        changed_lines += changed;
        start = i + 1;
    }
    rk_str out_text = {text, srt.len};
    rk_buf out = {0};
    rk_buf_cat(&out, "{\"srt\":");
    rk_buf_json_str(&out, out_text);
    rk_buf_cat(&out, ",\"lines_changed\":");
    rk_buf_int(&out, changed_lines);
    rk_buf_cat(&out, "}");
    rk_output(rk_buf_str(&out));
    return 0;
}
