"""toneboard's data model: the tables every DuckDB client sees, their columns and how they grow.
Where their files are (the storage design, concurrent use, compaction): :mod:`ingest.store.layout`.
"""
from __future__ import annotations

import hashlib

# 6: compacted months (ingest.store.compacted); 7: tickets.rule_type; 8: why a speaker count,
# the probability of every emotion and event (segments.emotion_probs, event_probs), pitch and a raised voice;
# 9: a second opinion on emotion (segments.second_emotion*, recordings.second_opinion_model), overlapping
# speech (segments.overlap_s, overlap); 10: the audit trail (audit); 11: quality forms' answers, reviews and
# disputes, calibration rounds (qa_answers, qa_reviews, qa_disputes, qa_rounds); 12: trackers counted on every
# call (tracker_hits), the glossary's corrections (segments.heard_text, glossary_fixes)
SCHEMA_VERSION = 12
# the classes of segments.emotion_probs and event_probs: ingest.models.header's (the store imports no
# model; tests/test_tag_probabilities.py holds the two to each other)
PROB_CLASSES = {"EMOTION_PROBS": ("HAPPY", "SAD", "ANGRY", "NEUTRAL", "FEARFUL", "DISGUSTED", "SURPRISED", "UNKNOWN"),
                "EVENT_PROBS": ("SPEECH", "BGM", "APPLAUSE", "LAUGHTER", "CRY", "SNEEZE", "BREATH", "COUGH", "SING",
                                "SPEECH_NOISE", "UNKNOWN"),
                # emotion2vec+'s (ingest.models.emotion2vec.CLASSES)
                "SECOND_EMOTION_PROBS": ("ANGRY", "DISGUSTED", "FEARFUL", "HAPPY", "NEUTRAL", "OTHER", "SAD", "SURPRISED",
                                         "UNKNOWN")}
# older exports lack these tables
ADDED_IN = {"speakers": 4, "speaker_corrections": 4, "notifications": 5, "playlist_items": 5, "tag_thresholds": 8, "audit": 10,
            "qa_answers": 11, "qa_reviews": 11, "qa_disputes": 11,
            "qa_rounds": 11, "tracker_hits": 12}

# table -> column DDL. Columns may be added (never removed or retyped): files written by older
# versions then read the new column as NULL (views use union_by_name), so stores upgrade in place.
TABLES: dict[str, str] = {
    "recordings": """
        recording_id VARCHAR,        -- SHA-256 of the file's bytes (hex)
        path VARCHAR,                -- path given at ingest (absolute)
        filename VARCHAR,
        size_bytes BIGINT,
        format VARCHAR,              -- container, as ffprobe names it
        codec VARCHAR,
        duration_s DOUBLE,
        sample_rate INTEGER,         -- of the original file
        channels INTEGER,            -- of the original file
        analysed_channels INTEGER,   -- 2 for per-channel stereo analysis, else 1
        mixed BOOLEAN,               -- channels were downmixed (--mix, >2 channels, identical)
        kind VARCHAR,                -- sales | service | class | other
        outcome VARCHAR,             -- won | lost | NULL
        batch_id VARCHAR,
        recorded_at TIMESTAMP,
        recorded_at_source VARCHAR,  -- manifest | option | file-tag | file-mtime
        language_requested VARCHAR,  -- auto | zh | en | yue | ja | ko
        model_id VARCHAR,
        model_revision VARCHAR,
        pipeline_version VARCHAR,
        vad VARCHAR,
        ingested_at TIMESTAMP,
        n_segments INTEGER,
        speech_s DOUBLE,
        schema_version INTEGER,
        speaker_model VARCHAR,       -- the speaker-embedding model (campplus:..., resemblyzer-...); NULL: none
        -- speakers found (stereo: one per channel unless a channel was diarized)
        n_speakers INTEGER,
        -- why that many, where a channel was diarized: given | voices | one_voice | two_party |
        -- little_speech (ingest.speakers.count); NULL: none diarized, or ingested before
        speaker_count_reason VARCHAR,
        -- the best split in two voices: centroid distance over the spread within a voice
        -- (one voice: under about 0.8; two: 0.7 and up; ingest.speakers.count)
        speaker_separation DOUBLE,
        -- the model that gave a second opinion on emotions (emotion2vec:...; NULL: none asked)
        second_opinion_model VARCHAR""",
    "segments": """
        recording_id VARCHAR,
        channel INTEGER,             -- 0, 1 (stereo per channel) or 0 (mono / mixed)
        role VARCHAR,                -- agent | customer | mixed | ... (--channel-roles)
        seg_index INTEGER,           -- 0.. in time order across the recording's channels
        start_s DOUBLE,
        end_s DOUBLE,
        duration_s DOUBLE,
        language VARCHAR,            -- zh | en | yue | ja | ko | nospeech | NULL
        emotion VARCHAR,             -- HAPPY SAD ANGRY NEUTRAL FEARFUL DISGUSTED SURPRISED UNKNOWN
        emotion_confidence DOUBLE,   -- model probability of that emotion tag among the emotions, 0..1
        events VARCHAR[],            -- LAUGHTER APPLAUSE BGM COUGH CRY SNEEZE BREATH SING SPEECH_NOISE
        itn BOOLEAN,                 -- inverse text normalisation applied
        text VARCHAR,                -- clean text, tags removed
        raw_text VARCHAR,            -- SenseVoice's output as is
        loudness_dbfs DOUBLE,        -- RMS level of the segment
        speaking_rate DOUBLE,
        rate_unit VARCHAR,           -- chars/s (CJK) | words/s
        model_id VARCHAR,
        model_revision VARCHAR,
        pipeline_version VARCHAR,
        -- personal data found in the text (PHONE ID CARD EMAIL); the text is redacted unless --keep-pii
        pii VARCHAR[],
        speaker VARCHAR,             -- S1, S2, ... by first appearance in the recording
        -- the speaker-embedding model that told the speakers apart (NULL: one speaker per channel)
        speaker_model VARCHAR,
        -- the model's probability of each emotion / event at its query frame, over that class set
        -- (PROB_CLASSES; emotion_probs.ANGRY); NULL: the model's output carried none
        emotion_probs {EMOTION_PROBS},
        event_probs {EVENT_PROBS},
        -- the probability of the chosen language among the languages
        language_confidence DOUBLE,
        -- prosody (ingest.prosody): median F0 (Hz) and its 10-90 % range (semitones); NULL: too
        -- little voiced; the change against the same speaker's first segments (semitones, dB)
        pitch_hz DOUBLE,
        pitch_range_st DOUBLE,
        pitch_change_st DOUBLE,
        loudness_change_db DOUBLE,
        -- pitch and loudness both well above the speaker's own start (NULL: no baseline yet)
        raised_voice BOOLEAN,
        -- seconds of the segment during which another party speaks too (a channel per party; NULL:
        -- one channel, not known), and whether that is at least half of it (a back-channel, both
        -- starting at once); overlapped seconds count in neither party's talk share, as overtalk
        overlap_s DOUBLE,
        overlap BOOLEAN,
        -- a second opinion on the emotion (--emotion-second-opinion; ingest.second_opinion): emotion2vec+'s
        -- most likely class, its score and every class's (PROB_CLASSES); NULL: not asked for this segment.
        -- Where it names another emotion than ``emotion`` the tag counts as uncertain (analytics.confidence)
        second_emotion VARCHAR,
        second_emotion_confidence DOUBLE,
        second_emotion_probs {SECOND_EMOTION_PROBS},
        -- the glossary (ingest.glossary: brand and product names heard right): the recognised text where the
        -- glossary changed ``text`` (NULL: unchanged), and the changes as JSON [{from, to, at}]
        heard_text VARCHAR,
        glossary_fixes VARCHAR""",
    "speakers": """
        recording_id VARCHAR,
        speaker VARCHAR,             -- S1, S2, ...
        channel INTEGER,
        role VARCHAR,                -- agent | customer | teacher | student | ... (corrections apply on read)
        role_source VARCHAR,         -- channel | manifest | voiceprint | opening | first | dominant | single
        name VARCHAR,                -- the matched voiceprint's name
        similarity DOUBLE,           -- cosine similarity to the best voiceprint (NULL: none enrolled)
        talk_s DOUBLE,
        segments INTEGER""",
    "pauses": """
        recording_id VARCHAR,
        channel INTEGER,             -- -1: nobody speaks (stereo recordings)
        role VARCHAR,                -- the channel's role, or 'all'
        start_s DOUBLE,
        end_s DOUBLE,
        duration_s DOUBLE,
        after_seg_index INTEGER      -- the segment the pause follows""",
    "metadata": """
        recording_id VARCHAR,
        key VARCHAR,                 -- agent, team, customer, store, teacher, course, ...
        value VARCHAR""",
    "batches": """
        batch_id VARCHAR,
        name VARCHAR,
        started_at TIMESTAMP,
        finished_at TIMESTAMP,
        status VARCHAR,              -- running | finished | interrupted | aborted
        n_files INTEGER,
        n_ingested INTEGER,
        n_skipped INTEGER,
        n_failed INTEGER,
        audio_s DOUBLE,
        options VARCHAR,             -- JSON of the ingest options
        pid INTEGER,
        host VARCHAR""",
    "ingest_errors": """
        batch_id VARCHAR,
        path VARCHAR,
        stage VARCHAR,               -- input | decode | vad | recognize | store | internal
        reason VARCHAR,
        failed_at TIMESTAMP,
        recording_id VARCHAR""",
    "corrections": """
        recording_id VARCHAR,
        seg_index INTEGER,
        emotion VARCHAR,             -- corrected emotion (NULL: unchanged)
        events VARCHAR[],            -- corrected events (NULL: unchanged)
        corrected_by VARCHAR,
        corrected_at TIMESTAMP,
        note VARCHAR""",
    "tickets": """
        ticket_id VARCHAR,           -- hash of recording, rule and first evidence time
        recording_id VARCHAR,
        rule_id VARCHAR,
        rule_name VARCHAR,
        severity VARCHAR,            -- low | medium | high
        evidence VARCHAR,            -- JSON list of {start_s, end_s, what}
        first_evidence_s DOUBLE,
        created_at TIMESTAMP,
        rule_type VARCHAR            -- risk | opportunity | info (NULL, tickets before schema 7: risk)""",
    "ticket_events": """
        ticket_id VARCHAR,
        status VARCHAR,              -- open | acknowledged | resolved (NULL: a comment or assignment only)
        changed_by VARCHAR,
        changed_at TIMESTAMP,
        note VARCHAR,                -- a comment
        assignee VARCHAR             -- who the ticket is given to (NULL: unchanged)""",
    "speaker_corrections": """
        recording_id VARCHAR,
        speaker VARCHAR,
        role VARCHAR,                -- corrected role (NULL: unchanged)
        name VARCHAR,                -- a name for the speaker (NULL: unchanged)
        corrected_by VARCHAR,
        corrected_at TIMESTAMP,
        note VARCHAR""",
    "notifications": """
        ticket_id VARCHAR,
        channel VARCHAR,             -- its name in data/notify.yaml (never its address)
        status VARCHAR,              -- sent | failed
        attempts INTEGER,
        error VARCHAR,               -- the last error, scrubbed of secrets
        sent_at TIMESTAMP""",
    "playlist_items": """
        playlist VARCHAR,            -- its name ("objection handled well")
        recording_id VARCHAR,
        seg_index INTEGER,
        start_s DOUBLE,
        end_s DOUBLE,
        note VARCHAR,
        added_by VARCHAR,
        added_at TIMESTAMP,
        removed BOOLEAN              -- TRUE: taken off the playlist (the latest row wins)""",
    "tag_thresholds": """
        tag VARCHAR,                 -- ANGRY, LAUGHTER, ... (analytics.confidence.TAGS)
        threshold DOUBLE,            -- the tag counts from this model probability on (the latest row wins)
        set_by VARCHAR,
        set_at TIMESTAMP,
        note VARCHAR                 -- why (e.g. learnt from 40 corrected segments)""",
    "audit": """
        happened_at TIMESTAMP,
        login VARCHAR,               -- who (NULL: nobody signed in; a failed sign-in names what was typed)
        action VARCHAR,              -- analytics.access.audit.ACTIONS
        recording_id VARCHAR,        -- what it was about, where one recording
        detail VARCHAR,              -- JSON: the filter of an export, the change made, ...
        address VARCHAR              -- the client's address, where known""",
    # quality forms (analytics.qa): every item of a form answered on a call, by the machine (qa_answers: one
    # file per scoring run; a new version of a form answers again, the latest run per call and form wins),
    # by people (qa_reviews), and agents' acknowledgements and disputes with the lead's decision (qa_disputes)
    "qa_answers": """
        recording_id VARCHAR,
        form_id VARCHAR,             -- the form's id (data/forms/<id>.yaml)
        form_version VARCHAR,        -- a digest of the form's items: another version is answered again
        item_id VARCHAR,
        status VARCHAR,              -- yes | no | na (does not apply) | person (left to a person)
        answer DOUBLE,               -- yes: 1, no: 0 (NULL: na, person)
        top DOUBLE,                  -- the best answer: 1 (yes / no), N (a 0-N scale)
        weight DOUBLE,               -- the item's weight: it earns answer / top * weight points
        fatal BOOLEAN,               -- a "no" (a scale's 0) fails the whole call
        evidence VARCHAR,            -- JSON list of the moments that decided it: {start_s, end_s, what[, text]}
        scored_at TIMESTAMP""",
    "qa_reviews": """
        recording_id VARCHAR,
        form_id VARCHAR,
        item_id VARCHAR,
        answer DOUBLE,               -- yes: 1, no: 0, a scale's value; NULL: does not apply (na)
        na BOOLEAN,
        comment VARCHAR,
        reviewed_by VARCHAR,
        reviewed_at TIMESTAMP,
        round VARCHAR                -- NULL: the call's review (the latest per item decides); else the
                                     -- calibration round it was answered blind in (decides nothing)""",
    "qa_disputes": """
        dispute_id VARCHAR,          -- one per call, form and item (the call's acknowledgement: item NULL)
        recording_id VARCHAR,
        form_id VARCHAR,
        item_id VARCHAR,
        action VARCHAR,              -- acknowledge | dispute | accept | reject (the latest per dispute wins)
        reason VARCHAR,
        changed_by VARCHAR,
        changed_at TIMESTAMP""",
    "qa_rounds": """
        round VARCHAR,               -- a calibration round's name: the same calls scored blind by several reviewers
        recording_id VARCHAR,
        form_id VARCHAR,
        created_by VARCHAR,
        created_at TIMESTAMP""",
    # trackers (analytics.talk): how often each call says a tracked concept, counted once per call and
    # tracker version (after every batch and live call, and when a tracker is made or changed): one row per
    # role that said it, or one row with role NULL and segments 0 where nobody did (the call was counted)
    "tracker_hits": """
        recording_id VARCHAR,
        tracker_id VARCHAR,          -- the tracker's id (data/trackers.yaml)
        tracker_version VARCHAR,     -- a digest of what it matches: another version is counted again
        role VARCHAR,                -- who said it (NULL: nobody)
        segments INTEGER,            -- segments of that role that say it
        first_s DOUBLE,              -- when it was first said (NULL: never)
        counted_at TIMESTAMP""",
}
for _name, _classes in PROB_CLASSES.items():
    TABLES["segments"] = TABLES["segments"].replace("{" + _name + "}", "STRUCT(" + ", ".join(f"{c} DOUBLE" for c in _classes) + ")")

APPEND_ONLY = ("corrections", "tickets", "ticket_events", "speaker_corrections", "notifications", "playlist_items",
               "tag_thresholds", "audit", "qa_answers", "qa_reviews", "qa_disputes", "qa_rounds",
               "tracker_hits")
# append-only tables readers query when asked, not load with every refresh (the audit grows with every page opened)
ON_DEMAND = ("audit",)
# append-only tables readers query in place, not load whole (a year of calls' answers to every item)
IN_PLACE = ("qa_answers", "tracker_hits")
PER_RECORDING = ("recordings", "segments", "pauses", "metadata", "speakers")
def column_names(table: str) -> list[str]:
    """The columns of ``table`` in DDL order."""
    out = []
    for line in TABLES[table].splitlines():
        line = line.split("--", 1)[0].strip()
        if line:
            out.append(line.split()[0])
    return out


def fingerprint() -> str:
    """The schema version and a digest of every column: what the store's empty schema files and
    the database's views were made for (a column added without a new version still renews them)."""
    digest = hashlib.sha256(repr(sorted(TABLES.items())).encode()).hexdigest()[:12]
    return f"{SCHEMA_VERSION} {digest}"


def create_table_sql(table: str, name: str | None = None) -> str:
    return f"CREATE TABLE {name or table} ({TABLES[table]}\n)"
