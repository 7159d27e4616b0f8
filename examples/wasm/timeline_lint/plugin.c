/*
 * timeline_lint: checks a timeline project for empty clips, overlaps, gaps, and clips that
 * run past the end of their source. The last check asks the kernel: it invokes media.probe
 * for each source — a capability granted in plugin.json (permissions.commands).
 *
 * Input:  {"clips": [{"id": "a", "source": "/media/a.mp4", "start": 0.0, "in": 0.0, "duration": 2.0}, ...]}
 * Output: {"ok": bool, "issues": [{"clip": "a", "code": "overlap", "message": "..."}], "probed": n}
 */
#include "reelkit.h"

static void issue(rk_buf *out, int *count, rk_str clip, const char *code, const char *message) {
    if (*count) rk_buf_cat(out, ",");
    rk_buf_cat(out, "{\"clip\":");
    rk_buf_json_str(out, clip);
    rk_buf_cat(out, ",\"code\":\"");
    rk_buf_cat(out, code);
    rk_buf_cat(out, "\",\"message\":");
    rk_buf_json_str(out, rk_s(message));
    rk_buf_cat(out, "}");
    (*count)++;
}

RK_EXPORT("lint") int32_t lint(void) {
    rk_str in = rk_input();
    rk_str clips = rk_json_get(in, "clips");
    if (!clips.ptr || clips.ptr[0] != '[') return rk_fail("input needs an array field 'clips'");

    rk_buf issues = {0};
    int count = 0, probed = 0;
    int64_t prev_end = -1;
    size_t pos = 0;
    rk_str clip;
    while (rk_json_next(clips, &pos, &clip)) {
        rk_str id = rk_json_string(rk_json_get(clip, "id"));
        if (!id.ptr) id = rk_s("?");
        int64_t start = rk_json_milli(rk_json_get(clip, "start"));
        int64_t duration = rk_json_milli(rk_json_get(clip, "duration"));
        rk_str in_raw = rk_json_get(clip, "in");
        int64_t in_point = in_raw.ptr ? rk_json_milli(in_raw) : 0;
        if (duration <= 0) issue(&issues, &count, id, "empty_clip", "clip has no duration");
        if (prev_end >= 0 && start < prev_end) issue(&issues, &count, id, "overlap", "clip starts before the previous one ends");
        if (prev_end >= 0 && start > prev_end) issue(&issues, &count, id, "gap", "gap before this clip");
        prev_end = start + duration;

        rk_str source = rk_json_get(clip, "source");
        if (source.ptr && source.ptr[0] == '"') {
            rk_buf payload = {0};
            rk_buf_cat(&payload, "{\"path\":");
            rk_buf_put(&payload, source.ptr, source.len);
            rk_buf_cat(&payload, "}");
            rk_str info = rk_invoke("media.probe", rk_buf_str(&payload));   /* a granted capability */
            probed++;
            rk_str src_dur = rk_json_get(info, "duration");
            if (src_dur.ptr && src_dur.ptr[0] != 'n' && in_point + duration > rk_json_milli(src_dur) + 40)
                issue(&issues, &count, id, "past_source_end", "clip runs past the end of its source");
        }
    }
    rk_buf out = {0};
    rk_buf_cat(&out, count ? "{\"ok\":false,\"issues\":[" : "{\"ok\":true,\"issues\":[");
    if (issues.len) rk_buf_put(&out, issues.ptr, issues.len);
    rk_buf_cat(&out, "],\"probed\":");
    rk_buf_int(&out, probed);
    rk_buf_cat(&out, "}");
    rk_output(rk_buf_str(&out));
    return 0;
}
