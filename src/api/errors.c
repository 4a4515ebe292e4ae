#include "api/errors.h"

const char *sy_error_reason(int code)
{
    switch (code) {
    case SY_OK: return "Success";
    case SY_ERR_UNAUTHORIZED: return "Unauthorized request (wrong or missing secret/token)";
    case SY_ERR_UNAUTHORIZED_PLUGIN:
        return "Unauthorized access to plugin (token is not allowed to)";
    case SY_ERR_TRANSPORT_SPECIFIC: return "Transport specific error";
    case SY_ERR_MISSING_REQUEST: return "Missing request";
    case SY_ERR_UNKNOWN_REQUEST: return "Unknown request";
    case SY_ERR_INVALID_JSON: return "Invalid JSON";
    case SY_ERR_INVALID_JSON_OBJECT: return "Invalid JSON Object";
    case SY_ERR_MISSING_MANDATORY_ELEMENT: return "Missing mandatory element";
    case SY_ERR_INVALID_REQUEST_PATH: return "Invalid path for this request";
    case SY_ERR_SESSION_NOT_FOUND: return "Session not found";
    case SY_ERR_HANDLE_NOT_FOUND: return "Handle not found";
    case SY_ERR_PLUGIN_NOT_FOUND: return "Plugin not found";
    case SY_ERR_PLUGIN_ATTACH: return "Error attaching plugin";
    case SY_ERR_PLUGIN_MESSAGE: return "Error sending message to plugin";
    case SY_ERR_PLUGIN_DETACH: return "Error detaching from plugin";
    case SY_ERR_JSEP_UNKNOWN_TYPE: return "Unsupported JSEP type";
    case SY_ERR_JSEP_INVALID_SDP: return "Invalid SDP";
    case SY_ERR_TRICKLE_INVALID_STREAM: return "Invalid stream";
    case SY_ERR_INVALID_ELEMENT_TYPE: return "Invalid element type";
    case SY_ERR_SESSION_CONFLICT: return "Session ID already in use";
    case SY_ERR_UNEXPECTED_ANSWER: return "Unexpected ANSWER (no OFFER)";
    case SY_ERR_TOKEN_NOT_FOUND: return "Token not found";
    case SY_ERR_WEBRTC_STATE: return "Wrong WebRTC state";
    case SY_ERR_NOT_ACCEPTING_SESSIONS: return "Currently not accepting new sessions";
    default: return "Unknown error";
    }
}
